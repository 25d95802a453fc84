-- Who claimed and who expired a seat, beside assigned_by and revoked_by, so
-- the claims report names the actor of every transition.
ALTER TABLE seats ADD COLUMN claimed_by TEXT;
ALTER TABLE seats ADD COLUMN expired_by TEXT;

-- A student's seat taken with a teacher's redemption code points at the
-- teacher's seat, so the teacher's students_assigned falls when it ends.
ALTER TABLE seats ADD COLUMN teacher_seat_id BIGINT;
CREATE INDEX seats_teacher_seat ON seats(teacher_seat_id);
