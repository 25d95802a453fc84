//! The demo inventory: which licenses each district, center and the hub
//! hold, how many seat rows each gets and in which statuses, and the special
//! cases a demo should show (near expiry, in grace, deactivated, requested,
//! depleted, allocated down to a center, renewal requested).

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;
use rand::seq::IndexedRandom;
use seatdesk_core::codes::CodeShape;
use seatdesk_core::{InventoryType, LicenseStatus, UserKind};

use super::Ids;
use super::catalog::{ALEKS_SUBJECTS, JASPERACTIVE_COURSES, ProductKey};
use super::codes::CodeSet;
use super::names;
use super::tree::{Site, Slice, Tree};

/// Whose people hold a license's seats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteRef {
    District(usize),
    Center(usize),
}

/// A run of one site's teachers or students holding seats of a license.
#[derive(Debug, Clone, Copy)]
pub struct Holders {
    pub kind: UserKind,
    pub slice: Slice,
}

/// How many seat rows of each status a license gets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Mix {
    pub active: i64,
    /// Assigned in the last few weeks, not yet claimed.
    pub pending: i64,
    /// Assigned months ago and never claimed: the help desk's first suspects.
    pub long_pending: i64,
    pub expired: i64,
    pub revoked: i64,
}

impl Mix {
    pub fn live(&self) -> i64 {
        self.active + self.pending + self.long_pending
    }

    pub fn total(&self) -> i64 {
        self.live() + self.expired + self.revoked
    }
}

/// User Activation Codes options of a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchPlan {
    pub users_per_code: i64,
    pub duration_days: i64,
    pub benchmark: bool,
    pub exercises: bool,
    pub badges: bool,
    pub teacher_link: bool,
}

pub struct LicensePlan {
    pub id: i64,
    pub account_id: i64,
    pub org: usize,
    pub site: Option<SiteRef>,
    pub parent_license_id: Option<i64>,
    pub product: ProductKey,
    pub order_number: String,
    pub purchase_order: String,
    pub inventory_type: InventoryType,
    pub courses: Vec<&'static str>,
    pub teacher_code: Option<String>,
    pub master_code: Option<String>,
    pub seats_purchased: i64,
    pub seats_allocated: i64,
    pub start: NaiveDate,
    pub finish: NaiveDate,
    pub grace_days: i64,
    pub status: LicenseStatus,
    pub renewal_requested: bool,
    pub renewed: bool,
    pub holders: Vec<Holders>,
    pub mix: Mix,
    /// How seats came to be (`seats.source`).
    pub source: &'static str,
    pub resource_subjects: Vec<&'static str>,
    pub batch: Option<BatchPlan>,
}

impl LicensePlan {
    pub fn grace_until(&self) -> NaiveDate {
        self.finish + Days::new(self.grace_days.max(0) as u64)
    }

    /// Whether seats of this student edition carry redemption codes and
    /// students (the teacher redeemed the student-edition master code).
    pub fn student_edition(&self) -> bool {
        self.product == ProductKey::ConnectedStudent
    }
}

/// License ids picked out for the demo's special cases.
#[derive(Debug, Clone, Copy, Default)]
pub struct Specials {
    pub renewal: i64,
    pub requested: i64,
    pub deactivated: i64,
    pub depleted: i64,
    pub parent: i64,
}

pub struct Inventory {
    pub licenses: Vec<LicensePlan>,
    pub specials: Specials,
}

/// Fractions of a district's seat rows per license.
const CE_TEACHER: f64 = 0.07;
const CE_TEACHER_PREVIOUS: f64 = 0.05;
const CE_STUDENT_TEACHERS: f64 = 0.03;
const CE_STUDENT_STUDENTS: f64 = 0.31;
const ALEKS: f64 = 0.36;
const LEARN: f64 = 0.10;
const OBSERVE: f64 = 0.08;

/// Fractions of a center's seat rows per license.
const JA_CENTER_TEACHERS: f64 = 0.02;
const JA_CENTER_STUDENTS: f64 = 0.43;
const JA_CODES: f64 = 0.30;
const JA_ALLOCATED: f64 = 0.25;

struct Builder<'a, R: Rng + ?Sized> {
    rng: &'a mut R,
    ids: &'a mut Ids,
    codes: &'a mut CodeSet,
    today: NaiveDate,
    licenses: Vec<LicensePlan>,
    next_order: i64,
}

fn rows(budget: f64, share: f64) -> i64 {
    (budget * share).round().max(1.0) as i64
}

/// Plans every license for `tree`, sizing each site's people to fit, for
/// roughly `district_budget` seat rows per district and `center_budget`
/// per center.
pub fn build<R: Rng + ?Sized>(
    rng: &mut R,
    ids: &mut Ids,
    codes: &mut CodeSet,
    tree: &mut Tree,
    today: NaiveDate,
    district_budget: f64,
    center_budget: f64,
) -> Inventory {
    let mut b = Builder {
        rng,
        ids,
        codes,
        today,
        licenses: Vec::new(),
        next_order: 1001,
    };
    let mut specials = Specials::default();
    let school_year = if today.month() >= 8 {
        today.year()
    } else {
        today.year() - 1
    };
    let current = (ymd(school_year, 8, 1), ymd(school_year + 1, 7, 31), 30);
    let previous = (ymd(school_year - 1, 8, 1), ymd(school_year, 6, 30), 14);

    for (d, site) in tree.districts.iter_mut().enumerate() {
        let budget = district_budget;
        let teacher_rows = [
            CE_TEACHER,
            CE_TEACHER_PREVIOUS,
            CE_STUDENT_TEACHERS,
            LEARN,
            OBSERVE,
        ]
        .iter()
        .map(|share| rows(budget, *share))
        .max()
        .unwrap_or(1);
        let student_rows = rows(budget, ALEKS).max(rows(budget, CE_STUDENT_STUDENTS));
        site.teachers = teacher_rows + teacher_rows / 10 + 2;
        site.students = student_rows + student_rows / 12 + 2;
        let sref = SiteRef::District(d);
        let account = tree.accounts[site.account].id;
        let po = format!(
            "PO-{}-{school_year}",
            names::initials(&tree.orgs[site.org].name)
        );

        // ConnectED teacher edition, this school year; the first district's
        // runs out in 12 days and has asked for a renewal.
        let (start, finish, grace) = if d == 0 {
            near_expiry(today, 12)
        } else {
            current
        };
        let slice = b.slice(site.teachers, rows(budget, CE_TEACHER));
        let id = b.push(
            account,
            site.org,
            Some(sref),
            ProductKey::ConnectedTeacher,
            InventoryType::SeatPool,
            &po,
            (start, finish, grace),
            vec![teachers(slice)],
            LicenseStatus::Active,
            "assign",
        );
        if d == 0 {
            b.last().renewal_requested = true;
            specials.renewal = id;
        }

        // Last year's teacher edition: lapsed, its seats expired, renewed.
        let slice = b.slice(site.teachers, rows(budget, CE_TEACHER_PREVIOUS));
        b.push(
            account,
            site.org,
            Some(sref),
            ProductKey::ConnectedTeacher,
            InventoryType::SeatPool,
            &format!(
                "PO-{}-{}",
                names::initials(&tree.orgs[site.org].name),
                school_year - 1
            ),
            previous,
            vec![teachers(slice)],
            LicenseStatus::Expired,
            "assign",
        );
        b.last().renewed = true;

        // Student edition: teachers who redeemed its master code (with
        // their students) and students; the second district's is in grace.
        let dates = if d == 1 {
            (today - Days::new(375), today - Days::new(10), 30)
        } else {
            current
        };
        let teacher_slice = b.slice(site.teachers, rows(budget, CE_STUDENT_TEACHERS));
        let student_slice = b.slice(site.students, rows(budget, CE_STUDENT_STUDENTS));
        b.push(
            account,
            site.org,
            Some(sref),
            ProductKey::ConnectedStudent,
            InventoryType::SeatPool,
            &po,
            dates,
            vec![teachers(teacher_slice), students(student_slice)],
            LicenseStatus::Active,
            "assign",
        );

        // ALEKS with a resource code per subject; the second district's
        // runs out in 45 days.
        let dates = if d == 1 {
            near_expiry(today, 45)
        } else {
            current
        };
        let slice = b.slice(site.students, rows(budget, ALEKS));
        b.push(
            account,
            site.org,
            Some(sref),
            ProductKey::Aleks,
            InventoryType::SeatPool,
            &po,
            dates,
            vec![students(slice)],
            LicenseStatus::Active,
            "assign",
        );
        let subject_count = b.rng.random_range(3..=5);
        let first = b.rng.random_range(0..ALEKS_SUBJECTS.len());
        b.last().resource_subjects = (0..subject_count)
            .map(|k| ALEKS_SUBJECTS[(first + k) % ALEKS_SUBJECTS.len()])
            .collect();

        // Learn and Observe, assigned by role rules; the first district's
        // Learn runs out in 80 days.
        let dates = if d == 0 {
            near_expiry(today, 80)
        } else {
            current
        };
        let slice = b.slice(site.teachers, rows(budget, LEARN));
        site.learn = Some(slice);
        b.push(
            account,
            site.org,
            Some(sref),
            ProductKey::Learn,
            InventoryType::SeatPool,
            &po,
            dates,
            vec![teachers(slice)],
            LicenseStatus::Active,
            "role_rule",
        );
        let slice = b.slice(site.teachers, rows(budget, OBSERVE));
        site.observe = Some(slice);
        b.push(
            account,
            site.org,
            Some(sref),
            ProductKey::Observe,
            InventoryType::SeatPool,
            &po,
            current,
            vec![teachers(slice)],
            LicenseStatus::Active,
            "role_rule",
        );
    }

    // The hub's Jasperactive license, parts of it allocated to every other
    // center (as CCI Learning assigns inventory); pushed before its children
    // so the parent's id is the smaller.
    let hub_account = tree.accounts[tree.hub_account].id;
    let hub_start = today - Days::new(200);
    let hub_dates = (hub_start, hub_start + Days::new(730), 30);
    let parent_id = b.push(
        hub_account,
        tree.hub,
        None,
        ProductKey::Jasperactive,
        InventoryType::CenterLicense,
        "T087878",
        hub_dates,
        Vec::new(),
        LicenseStatus::Active,
        "assign",
    );
    b.last().courses = JASPERACTIVE_COURSES.to_vec();
    let parent_index = b.licenses.len() - 1;
    specials.parent = parent_id;

    for (c, site) in tree.centers.iter_mut().enumerate() {
        let budget = center_budget;
        let allocated = c % 2 == 0;
        let center_students = if allocated {
            JA_CENTER_STUDENTS
        } else {
            JA_CENTER_STUDENTS + JA_ALLOCATED
        };
        let teacher_rows = rows(budget, JA_CENTER_TEACHERS).max(2);
        let student_rows = [center_students, JA_CODES, JA_ALLOCATED]
            .iter()
            .map(|share| rows(budget, *share))
            .max()
            .unwrap_or(1);
        site.teachers = teacher_rows + 1;
        site.students = student_rows + student_rows / 12 + 2;
        let sref = SiteRef::Center(c);
        let account = tree.accounts[site.account].id;
        let word = tree.orgs[site.org]
            .name
            .split_whitespace()
            .next()
            .unwrap_or("Center")
            .to_string();

        // The center license: teachers and students of the center, with a
        // chosen set of courses; the second center's is in grace.
        let dates = if c == 1 {
            (today - Days::new(735), today - Days::new(5), 14)
        } else {
            b.jasperactive_dates()
        };
        let teacher_slice = b.slice(site.teachers, teacher_rows);
        let student_slice = b.slice(site.students, rows(budget, center_students));
        b.push(
            account,
            site.org,
            Some(sref),
            ProductKey::Jasperactive,
            InventoryType::CenterLicense,
            &format!("PO-{word}-Center"),
            dates,
            vec![teachers(teacher_slice), students(student_slice)],
            LicenseStatus::Active,
            "assign",
        );
        let course_count = b.rng.random_range(3..=JASPERACTIVE_COURSES.len());
        b.last().courses = JASPERACTIVE_COURSES[..course_count].to_vec();

        // User Activation Codes: students who redeemed a code of the batch.
        // The first center's is used up (Depleted); the third's is switched
        // off by its center admin.
        let dates = b.jasperactive_dates();
        let slice = b.slice(site.students, rows(budget, JA_CODES));
        let status = if c == 2 {
            LicenseStatus::Deactivated
        } else {
            LicenseStatus::Active
        };
        let id = b.push(
            account,
            site.org,
            Some(sref),
            ProductKey::Jasperactive,
            InventoryType::UserActivationCodes,
            &format!("UAC-{word}"),
            dates,
            vec![students(slice)],
            status,
            "code",
        );
        let duration = *[90, 180, 365].choose(b.rng).unwrap_or(&365);
        let options = b.rng.random_range(0..16u8);
        let license = b.last();
        license.courses = JASPERACTIVE_COURSES.to_vec();
        license.batch = Some(BatchPlan {
            users_per_code: 1,
            duration_days: duration,
            benchmark: options & 1 != 0 || c == 0,
            exercises: options & 2 != 0,
            badges: options & 4 != 0,
            teacher_link: options & 8 != 0,
        });
        if c == 0 {
            license.seats_purchased = license.mix.live();
            specials.depleted = id;
        }
        if c == 2 {
            specials.deactivated = id;
        }

        if allocated {
            let slice = b.slice(site.students, rows(budget, JA_ALLOCATED));
            let parent = &b.licenses[parent_index];
            let (order, po, dates, code) = (
                format!("{}-A{account}", parent.order_number),
                parent.purchase_order.clone(),
                (parent.start, parent.finish, parent.grace_days),
                parent.teacher_code.clone(),
            );
            b.push(
                account,
                site.org,
                Some(sref),
                ProductKey::Jasperactive,
                InventoryType::CenterLicense,
                &po,
                dates,
                vec![students(slice)],
                LicenseStatus::Active,
                "assign",
            );
            let child = b.last();
            child.order_number = order;
            child.teacher_code = code;
            child.parent_license_id = Some(parent_id);
            child.courses = JASPERACTIVE_COURSES.to_vec();
            let seats = child.seats_purchased;
            let parent = &mut b.licenses[parent_index];
            parent.seats_allocated += seats;
        }
    }
    let reserve = b.rng.random_range(10..=60);
    let parent = &mut b.licenses[parent_index];
    parent.seats_purchased = parent.seats_allocated + reserve;

    // The first center asked its hub for more codes: a license still in
    // the Requested state, with no seats and no codes yet.
    let site = &tree.centers[0];
    let account = tree.accounts[site.account].id;
    let start = today + Days::new(14);
    specials.requested = b.push(
        account,
        site.org,
        Some(SiteRef::Center(0)),
        ProductKey::Jasperactive,
        InventoryType::UserActivationCodes,
        "",
        (start, start + Days::new(730), 30),
        Vec::new(),
        LicenseStatus::Requested,
        "assign",
    );
    let requested = b.last();
    requested.seats_purchased = 30;
    requested.master_code = None;
    requested.teacher_code = None;
    requested.courses = vec!["Excel Core", "Word Core"];

    Inventory {
        licenses: b.licenses,
        specials,
    }
}

impl<R: Rng + ?Sized> Builder<'_, R> {
    fn last(&mut self) -> &mut LicensePlan {
        self.licenses.last_mut().expect("a license was pushed")
    }

    /// `count` positions of a pool of `pool`, from a random start.
    fn slice(&mut self, pool: i64, count: i64) -> Slice {
        Slice {
            start: self.rng.random_range(0..pool.max(1)),
            count: count.min(pool),
        }
    }

    /// Two-year Jasperactive terms started at various times in the past.
    fn jasperactive_dates(&mut self) -> (NaiveDate, NaiveDate, i64) {
        let start = self.today - Days::new(self.rng.random_range(30..500));
        (start, start + Days::new(730), 30)
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        account_id: i64,
        org: usize,
        site: Option<SiteRef>,
        product: ProductKey,
        inventory_type: InventoryType,
        purchase_order: &str,
        (start, finish, grace_days): (NaiveDate, NaiveDate, i64),
        holders: Vec<Holders>,
        status: LicenseStatus,
        source: &'static str,
    ) -> i64 {
        let id = self.ids.license.take();
        let total: i64 = holders.iter().map(|h| h.slice.count).sum();
        let lapsed = status == LicenseStatus::Expired;
        let mix = draw_mix(self.rng, total, lapsed);
        let live = mix.live();
        let headroom = if live == 0 {
            self.rng.random_range(5..=40)
        } else {
            (live as f64 * self.rng.random_range(0.02..0.25)).ceil() as i64
                + self.rng.random_range(0..=3)
        };
        let teacher_code = (product == ProductKey::Jasperactive)
            .then(|| self.codes.fresh(self.rng, CodeShape::Grouped));
        let master_code = Some(self.codes.fresh(self.rng, CodeShape::Master));
        let order_number = self.next_order.to_string();
        self.next_order += self.rng.random_range(1..=7);
        self.licenses.push(LicensePlan {
            id,
            account_id,
            org,
            site,
            parent_license_id: None,
            product,
            order_number,
            purchase_order: purchase_order.to_string(),
            inventory_type,
            courses: Vec::new(),
            teacher_code,
            master_code,
            seats_purchased: live + headroom,
            seats_allocated: 0,
            start,
            finish,
            grace_days,
            status,
            renewal_requested: false,
            renewed: false,
            holders,
            mix,
            source,
            resource_subjects: Vec::new(),
            batch: None,
        });
        id
    }
}

/// Statuses for `total` seat rows: on a lapsed license all seats ended;
/// otherwise most are active, some pending (a third of them for months),
/// some expired and some revoked.
fn draw_mix<R: Rng + ?Sized>(rng: &mut R, total: i64, lapsed: bool) -> Mix {
    let share =
        |rng: &mut R, lo: f64, hi: f64| (total as f64 * rng.random_range(lo..hi)).round() as i64;
    if lapsed {
        let revoked = share(rng, 0.08, 0.18).min(total);
        return Mix {
            expired: total - revoked,
            revoked,
            ..Mix::default()
        };
    }
    let revoked = share(rng, 0.05, 0.10);
    let expired = share(rng, 0.05, 0.10);
    let pending = share(rng, 0.10, 0.18);
    let long_pending = pending / 3;
    let mix = Mix {
        active: 0,
        pending: pending - long_pending,
        long_pending,
        expired,
        revoked,
    };
    Mix {
        active: (total - mix.total()).max(0),
        ..mix
    }
}

fn teachers(slice: Slice) -> Holders {
    Holders {
        kind: UserKind::Teacher,
        slice,
    }
}

fn students(slice: Slice) -> Holders {
    Holders {
        kind: UserKind::Student,
        slice,
    }
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// A one-year term finishing `days` from today.
fn near_expiry(today: NaiveDate, days: u64) -> (NaiveDate, NaiveDate, i64) {
    let finish = today + Days::new(days);
    (finish - Days::new(364), finish, 30)
}

/// Whether every license's holders fit its site's pools: each
/// license's holders are distinct people, so a user never holds two live
/// seats of one license.
pub fn slices_fit(inventory: &Inventory, districts: &[Site], centers: &[Site]) -> bool {
    inventory.licenses.iter().all(|l| {
        let site = match l.site {
            Some(SiteRef::District(d)) => &districts[d],
            Some(SiteRef::Center(c)) => &centers[c],
            None => return l.holders.is_empty(),
        };
        l.holders.iter().all(|h| match h.kind {
            UserKind::Teacher => h.slice.count <= site.teachers,
            _ => h.slice.count <= site.students,
        })
    })
}
