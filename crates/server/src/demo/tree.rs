//! The demo org tree and purchasing accounts: CCI Learning (distributor) >
//! a reseller > a hub > centers, and districts with their schools, plus the
//! "sites" whose people hold seats (a district with its schools, or a center).

use chrono::NaiveDate;
use rand::Rng;
use seatdesk_core::OrgKind;

use super::Ids;
use super::names::{self, CENTERS, DISTRICTS, SCHOOL_KINDS, SCHOOL_STEMS};

pub struct OrgPlan {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: OrgKind,
    pub name: String,
    pub path: String,
    /// False for a root org that already existed (it is not inserted).
    pub insert: bool,
}

pub struct AccountPlan {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub number: String,
}

/// A run of a site's teachers or students, by position in its pool; it
/// wraps around the pool, so any start works as long as `count` fits.
#[derive(Debug, Clone, Copy)]
pub struct Slice {
    pub start: i64,
    pub count: i64,
}

impl Slice {
    /// Where position `index` of the pool falls in this slice, if it does.
    pub fn position_of(&self, index: i64, pool: i64) -> Option<i64> {
        let offset = (index - self.start).rem_euclid(pool.max(1));
        (offset < self.count).then_some(offset)
    }
}

/// Where people live: a district (users spread over its schools) or a center.
pub struct Site {
    /// Index in [`Tree::orgs`] of the district or center.
    pub org: usize,
    /// Indexes of the orgs users belong to (the schools, or the center).
    pub homes: Vec<usize>,
    pub account: usize,
    pub domain: String,
    pub is_district: bool,
    pub teachers: i64,
    pub students: i64,
    /// Id of teacher 0; teachers then students are numbered consecutively.
    pub first_user_id: i64,
    /// Teachers holding Observe seats (roles observer / observable) and
    /// Learn seats (role learner); filled in by the license plan.
    pub observe: Option<Slice>,
    pub learn: Option<Slice>,
}

impl Site {
    pub fn teacher_id(&self, index: i64) -> i64 {
        self.first_user_id + index.rem_euclid(self.teachers.max(1))
    }

    pub fn student_id(&self, index: i64) -> i64 {
        self.first_user_id + self.teachers + index.rem_euclid(self.students.max(1))
    }
}

pub struct Tree {
    pub orgs: Vec<OrgPlan>,
    pub accounts: Vec<AccountPlan>,
    pub root: usize,
    pub reseller: usize,
    pub hub: usize,
    pub hub_account: usize,
    pub districts: Vec<Site>,
    pub centers: Vec<Site>,
}

/// An existing root org the demo hangs under, so tokens made for it (by
/// `seatdesk token create` or a test harness) see the demo data.
pub struct ExistingRoot {
    pub id: i64,
    pub name: String,
    pub path: String,
}

impl Tree {
    fn add_org(
        &mut self,
        ids: &mut Ids,
        parent: Option<usize>,
        kind: OrgKind,
        name: String,
    ) -> usize {
        let id = ids.org.take();
        let (parent_id, parent_path) = match parent {
            Some(p) => (Some(self.orgs[p].id), self.orgs[p].path.clone()),
            None => (None, "/".to_string()),
        };
        self.orgs.push(OrgPlan {
            id,
            parent_id,
            kind,
            name,
            path: format!("{parent_path}{id}/"),
            insert: true,
        });
        self.orgs.len() - 1
    }

    fn add_account(&mut self, ids: &mut Ids, org: usize, name: &str) -> usize {
        let id = ids.account.take();
        let org_id = self.orgs[org].id;
        self.accounts.push(AccountPlan {
            id,
            org_id,
            name: format!("{} - {name}", self.orgs[org].name),
            number: format!("PA-{org_id:05}-{id:03}"),
        });
        self.accounts.len() - 1
    }
}

/// Builds the tree for `district_count` districts and `center_count` centers.
pub fn build<R: Rng + ?Sized>(
    rng: &mut R,
    ids: &mut Ids,
    existing_root: Option<ExistingRoot>,
    district_count: usize,
    center_count: usize,
) -> Tree {
    let mut tree = Tree {
        orgs: Vec::new(),
        accounts: Vec::new(),
        root: 0,
        reseller: 0,
        hub: 0,
        hub_account: 0,
        districts: Vec::new(),
        centers: Vec::new(),
    };
    tree.root = match existing_root {
        Some(root) => {
            tree.orgs.push(OrgPlan {
                id: root.id,
                parent_id: None,
                kind: OrgKind::Distributor,
                name: root.name,
                path: root.path,
                insert: false,
            });
            0
        }
        None => tree.add_org(ids, None, OrgKind::Distributor, "CCI Learning".into()),
    };
    tree.add_account(ids, tree.root, "Distribution");
    tree.reseller = tree.add_org(
        ids,
        Some(tree.root),
        OrgKind::Reseller,
        "Pacific Learning Solutions".into(),
    );
    tree.add_account(ids, tree.reseller, "Reseller Inventory");
    tree.hub = tree.add_org(
        ids,
        Some(tree.reseller),
        OrgKind::Hub,
        "West Coast Hub".into(),
    );
    tree.hub_account = tree.add_account(ids, tree.hub, "Hub Inventory");
    for n in 0..center_count {
        let name = names::nth(CENTERS, n);
        let org = tree.add_org(ids, Some(tree.hub), OrgKind::Center, name.clone());
        let account = tree.add_account(ids, org, "Center");
        tree.centers
            .push(site(org, vec![org], account, &name, false, "com"));
    }
    for n in 0..district_count {
        let name = names::nth(DISTRICTS, n);
        let org = tree.add_org(ids, Some(tree.root), OrgKind::District, name.clone());
        let account = tree.add_account(ids, org, "District Office");
        let school_count = rng.random_range(3..=7);
        let mut homes = Vec::new();
        for s in 0..school_count {
            let stem = SCHOOL_STEMS[(n * 5 + s * 3) % SCHOOL_STEMS.len()];
            let kind = SCHOOL_KINDS[rng.random_range(0..SCHOOL_KINDS.len())];
            let school = tree.add_org(ids, Some(org), OrgKind::School, format!("{stem} {kind}"));
            if s == 0 {
                tree.add_account(ids, school, "School Site");
            }
            homes.push(school);
        }
        tree.districts
            .push(site(org, homes, account, &name, true, "org"));
    }
    tree
}

fn site(
    org: usize,
    homes: Vec<usize>,
    account: usize,
    name: &str,
    is_district: bool,
    tld: &str,
) -> Site {
    Site {
        org,
        homes,
        account,
        domain: if is_district {
            format!("{}.k12.example.{tld}", names::initials(name).to_lowercase())
        } else {
            format!("{}.example.{tld}", names::slug(name))
        },
        is_district,
        teachers: 0,
        students: 0,
        first_user_id: 0,
        observe: None,
        learn: None,
    }
}

/// Midnight UTC of `day` in unix milliseconds.
pub fn day_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp_millis())
        .unwrap_or_default()
}
