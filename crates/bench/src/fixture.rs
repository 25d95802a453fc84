//! Synthetic caches of any size for the in-memory benchmarks (frame cost,
//! fuzzy filtering): licenses and claims shaped like the demo data (a few
//! hundred licenses, teachers and students, every status, schools and
//! products), built in a second without a server. One license, the first the
//! Teachers pane opens, holds 5% of all claims as teacher seats, so any
//! per-frame work that grows with a license's rows shows up.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use seatdesk_client::Snapshot;
use seatdesk_core::api::inventory::License;
use seatdesk_core::api::seats::Claim;
use seatdesk_core::seats::{SeatCounts, date_standing, remaining_days};
use seatdesk_core::{InventoryType, LicenseStatus, SeatStatus, UserKind};

/// The clock every fixture is built against.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

const GIVEN: &[&str] = &[
    "Aaliyah",
    "Aarav",
    "Abigail",
    "Adrian",
    "Aiko",
    "Alejandro",
    "Amara",
    "Amelia",
    "Andre",
    "Anika",
    "Ava",
    "Benjamin",
    "Bianca",
    "Caleb",
    "Camila",
    "Carlos",
    "Charlotte",
    "Chloe",
    "Daniel",
    "Diego",
    "Elena",
    "Elijah",
    "Emily",
    "Emma",
    "Ethan",
    "Fatima",
    "Gabriel",
    "Grace",
    "Hana",
    "Hannah",
    "Isabella",
    "Isaiah",
    "Jack",
    "Jamal",
    "Jasmine",
    "Kai",
    "Layla",
    "Liam",
    "Lucas",
    "Maya",
    "Mateo",
    "Mia",
    "Noah",
    "Olivia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Samuel",
    "Sofia",
    "Theo",
    "Uma",
    "Valentina",
    "William",
    "Xavier",
    "Yusuf",
    "Zara",
    "Zoe",
];
const FAMILY: &[&str] = &[
    "Adams",
    "Brennan",
    "Chen",
    "Diaz",
    "Edwards",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ivanova",
    "Johnson",
    "Kim",
    "Lindqvist",
    "Moreno",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quispe",
    "Rossi",
    "Smith",
    "Tanaka",
    "Umar",
    "Vasquez",
    "Walker",
    "Xu",
    "Yamamoto",
    "Zhang",
    "O'Brien",
    "Schmidt",
    "Kowalski",
    "Murphy",
    "Haugen",
    "Silva",
    "Novak",
    "Dubois",
    "Costa",
    "Larsen",
];
const SCHOOLS: &[&str] = &[
    "Lincoln High School",
    "Riverside Middle School",
    "Oak Grove Elementary",
    "Jefferson Academy",
    "Maple Valley High School",
    "Cedar Ridge Middle School",
    "Hillcrest Elementary",
    "Washington Prep",
    "Lakeside High School",
    "Pine Hills Academy",
    "Brookfield Elementary",
    "Summit Middle School",
    "Harbor View High School",
    "Westwood Elementary",
    "Eastgate Learning Center",
    "Northside Technical Center",
];
const PRODUCTS: &[&str] = &[
    "ConnectED teacher edition",
    "ConnectED student edition",
    "ALEKS Math",
    "ALEKS Chemistry",
    "Jasperactive Office 2016",
    "Jasperactive Word 2016",
    "Redbird Mathematics",
    "Reveal Math",
    "StudySync ELA",
    "Inspire Science",
    "Actively Learn",
    "SRA FLEX Literacy",
    "Achieve3000 Literacy",
    "Wonders Reading",
    "Everyday Mathematics",
    "Glencoe Health",
];

/// Claims per license in the demo data at 1,000,000 claims (235 licenses).
const CLAIMS_PER_LICENSE: usize = 4_250;

/// A cache holding exactly `n` claims (n ≥ 20).
pub fn snapshot(n: usize) -> Snapshot {
    let big = n / 20;
    let others = ((n - big) / CLAIMS_PER_LICENSE).max(2);
    let mut licenses = Vec::with_capacity(others + 1);
    let mut claims = Vec::with_capacity(n);
    // License 1: a teacher edition holding 5% of all claims, all teachers.
    for index in 0..big {
        claims.push(claim(index, 1, 0, UserKind::Teacher));
    }
    let rest = n - big;
    for i in 0..rest {
        let license = 2 + (i * others / rest) as i64;
        let kind = if i % 5 == 0 {
            UserKind::Teacher
        } else {
            UserKind::Student
        };
        claims.push(claim(
            claims.len(),
            license,
            (license as usize) % PRODUCTS.len(),
            kind,
        ));
    }
    let mut consumed = vec![0_i64; others + 2];
    for c in claims.iter().filter(|c| c.status.consumes_seat()) {
        consumed[c.license_id as usize] += 1;
    }
    for id in 1..=others as i64 + 1 {
        let product = if id == 1 {
            0
        } else {
            id as usize % PRODUCTS.len()
        };
        licenses.push(license(id, product, consumed[id as usize]));
    }
    Snapshot {
        licenses,
        claims,
        last_seq: n as i64,
        last_sync: Some(now() - Duration::minutes(3)),
    }
}

fn claim(index: usize, license_id: i64, product: usize, kind: UserKind) -> Claim {
    // A cheap deterministic scramble, so neighbours differ.
    let h = (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
    let given = GIVEN[(h % GIVEN.len() as u64) as usize];
    let family = FAMILY[((h / 64) % FAMILY.len() as u64) as usize];
    let school = SCHOOLS[((h / 4096) % SCHOOLS.len() as u64) as usize];
    let status = match h % 10 {
        0..=4 => SeatStatus::Active,
        5..=7 => SeatStatus::Pending,
        8 => SeatStatus::Expired,
        _ => SeatStatus::Revoked,
    };
    let id = index as i64 + 1;
    let assigned_at = now() - Duration::minutes((h % (400 * 24 * 60)) as i64);
    let claimed_at = (status != SeatStatus::Pending).then(|| assigned_at + Duration::hours(6));
    let domain: String = school
        .split_whitespace()
        .next()
        .unwrap_or("school")
        .to_lowercase();
    Claim {
        id,
        license_id,
        product_id: product as i64 + 1,
        product_name: PRODUCTS[product].to_string(),
        user_id: 100_000 + id,
        user_name: format!("{given} {family}"),
        user_email: format!(
            "{}.{}{}@{domain}.k12.example",
            given.to_lowercase(),
            family.to_lowercase().replace('\'', ""),
            id % 1000
        ),
        user_kind: kind,
        org_id: 10 + (h / 4096 % SCHOOLS.len() as u64) as i64,
        org_name: school.to_string(),
        status,
        assigned_at,
        assigned_by: "district admin".into(),
        claimed_at,
        claimed_by: None,
        expired_at: (status == SeatStatus::Expired).then_some(assigned_at + Duration::days(30)),
        expired_by: None,
        revoked_at: (status == SeatStatus::Revoked).then_some(assigned_at + Duration::days(20)),
        revoked_by: (status == SeatStatus::Revoked).then(|| "district admin".to_string()),
        redemption_code: (kind == UserKind::Teacher).then(|| format!("RC{id:010}")),
        students_assigned: if kind == UserKind::Teacher {
            (h % 4) as i64
        } else {
            0
        },
        updated_at: assigned_at,
    }
}

fn license(id: i64, product: usize, consumed: i64) -> License {
    let today = now().date_naive();
    let seats = SeatCounts {
        purchased: consumed + 50,
        consumed,
        allocated: 0,
    };
    let start = NaiveDate::from_ymd_opt(2025, 8, 1).unwrap_or_default();
    let finish = NaiveDate::from_ymd_opt(2026, 7, 31).unwrap_or_default() + Duration::days(id % 90);
    License {
        id,
        account_id: 1 + id % 12,
        org_id: 2,
        parent_license_id: None,
        product_id: product as i64 + 1,
        product_sku: format!("SKU-{}", product + 1),
        product_name: PRODUCTS[product].to_string(),
        order_number: format!("ORD-{id:06}"),
        purchase_order: format!("PO-{id:05}"),
        inventory_type: InventoryType::SeatPool,
        courses: Vec::new(),
        teacher_code: None,
        master_code: None,
        seats,
        allocations_consumed: 0,
        seats_available: seats.available(),
        usage_percent: seats.usage_percent(),
        start_date: start,
        finish_date: finish,
        remaining_days: remaining_days(finish, today),
        grace_days: 30,
        standing: date_standing(start, finish, 30, today),
        status: LicenseStatus::Active,
        renewal_requested: false,
        renewed: false,
        teachers: 0,
        students: 0,
        updated_at: now(),
        forecast: None,
    }
}
