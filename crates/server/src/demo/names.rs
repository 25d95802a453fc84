//! Small embedded name lists, so demo people and places read like real ones
//! without shipping a data set. Combinations, not the lists, give the variety.

use rand::Rng;
use rand::seq::IndexedRandom;

pub const GIVEN_NAMES: &[&str] = &[
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
    "Javier",
    "Jayden",
    "Kai",
    "Kenji",
    "Layla",
    "Leah",
    "Liam",
    "Lucas",
    "Lucia",
    "Maria",
    "Mateo",
    "Maya",
    "Mei",
    "Mia",
    "Mohammed",
    "Nadia",
    "Noah",
    "Nora",
    "Olivia",
    "Omar",
    "Priya",
    "Rafael",
    "Riley",
    "Rohan",
    "Ruby",
    "Samuel",
    "Sara",
    "Sebastian",
    "Sofia",
    "Sue",
    "Tariq",
    "Thomas",
    "Valentina",
    "Wei",
    "William",
    "Ximena",
    "Yusuf",
    "Zara",
    "Zoe",
];

pub const FAMILY_NAMES: &[&str] = &[
    "Adams",
    "Ahmed",
    "Alvarez",
    "Anderson",
    "Baker",
    "Bennett",
    "Brooks",
    "Brown",
    "Campbell",
    "Chen",
    "Clark",
    "Cohen",
    "Cruz",
    "Davis",
    "Diaz",
    "Edwards",
    "Evans",
    "Fischer",
    "Flores",
    "Garcia",
    "Gonzalez",
    "Green",
    "Gupta",
    "Hall",
    "Harris",
    "Hernandez",
    "Hill",
    "Ito",
    "Jackson",
    "Johnson",
    "Kaur",
    "Kim",
    "King",
    "Kowalski",
    "Lee",
    "Lewis",
    "Lopez",
    "Martin",
    "Martinez",
    "Mitchell",
    "Moore",
    "Morales",
    "Murphy",
    "Nguyen",
    "O'Brien",
    "O'Connor",
    "Okafor",
    "Patel",
    "Perez",
    "Ramirez",
    "Reyes",
    "Rivera",
    "Roberts",
    "Robinson",
    "Rodriguez",
    "Sanchez",
    "Santos",
    "Scott",
    "Shah",
    "Singh",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Taylor",
    "Thompson",
    "Torres",
    "Tran",
    "Walker",
    "Wang",
    "White",
    "Williams",
    "Wilson",
    "Wong",
    "Wright",
    "Young",
    "Zhang",
];

/// Districts, McGraw-Hill style; more than the largest demo needs are
/// numbered ("… 2").
pub const DISTRICTS: &[&str] = &[
    "Springfield Unified School District",
    "Riverside County Schools",
    "Lakeview Independent School District",
    "Cedar Falls Community Schools",
    "Maple Grove Public Schools",
    "Harbor City Unified",
    "Pinecrest School District",
    "Westbrook Area Schools",
    "Granite Hills USD",
    "Sunnyvale Elementary District",
    "Oak Ridge City Schools",
    "Fairview Consolidated Schools",
];

pub const SCHOOL_STEMS: &[&str] = &[
    "Lincoln",
    "Washington",
    "Roosevelt",
    "Jefferson",
    "Franklin",
    "Kennedy",
    "Madison",
    "Hillcrest",
    "Meadowbrook",
    "Lakeside",
    "Riverside",
    "Sunset",
    "Eastwood",
    "Valley View",
    "Parkside",
    "Brookside",
];

pub const SCHOOL_KINDS: &[&str] = &[
    "Elementary School",
    "Middle School",
    "High School",
    "Academy",
    "STEM Magnet School",
];

/// Jasperactive-style training centers; the first is the seeds' own.
pub const CENTERS: &[&str] = &[
    "Tolano Adventures",
    "Bayside Computer Academy",
    "Northgate Skills Centre",
    "Summit Career College",
    "Redwood Learning Hub",
    "Prairie Tech Institute",
    "Coastal Office Training",
    "Metro Digital Skills",
    "Highland Adult Education",
    "Evergreen Workforce Centre",
];

/// A realistic name pair.
pub fn person<R: Rng + ?Sized>(rng: &mut R) -> (&'static str, &'static str) {
    (
        GIVEN_NAMES.choose(rng).copied().unwrap_or("Alex"),
        FAMILY_NAMES.choose(rng).copied().unwrap_or("Smith"),
    )
}

/// The `n`-th name of `list`, numbered once the list runs out.
pub fn nth(list: &[&str], n: usize) -> String {
    let base = list[n % list.len()];
    match n / list.len() {
        0 => base.to_string(),
        round => format!("{base} {}", round + 1),
    }
}

/// "Springfield Unified School District" → "SUSD", "… District 3" → "…D3".
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .filter(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        .collect()
}

/// Lower-case letters and digits only: for e-mail local parts and domains.
pub fn slug(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_names_stay_distinct_past_the_list() {
        assert_eq!(nth(CENTERS, 0), "Tolano Adventures");
        assert_eq!(nth(CENTERS, CENTERS.len()), "Tolano Adventures 2");
        assert_eq!(slug("O'Brien"), "obrien");
        assert_eq!(initials(&nth(DISTRICTS, DISTRICTS.len())), "SUSD2");
    }
}
