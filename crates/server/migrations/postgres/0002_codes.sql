-- Teacher codes are looked up when minting any code (uniqueness across the
-- database) and when searching licenses by code.
CREATE INDEX licenses_teacher_code ON licenses(teacher_code);
