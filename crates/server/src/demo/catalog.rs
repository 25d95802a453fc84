//! The demo product catalogue: the programs the vendor articles describe.

use seatdesk_core::{Edition, Module};

/// A product as inserted; ids are assigned by the loader in this order.
pub struct ProductSpec {
    pub key: ProductKey,
    pub sku: &'static str,
    pub name: &'static str,
    pub family: &'static str,
    pub edition: Edition,
    pub module: Module,
    pub has_resource_codes: bool,
    pub training_prerequisite: Option<&'static str>,
}

/// Which catalogue entry; licenses refer to products by key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductKey {
    ConnectedTeacher,
    ConnectedStudent,
    Aleks,
    Jasperactive,
    Learn,
    Observe,
}

/// The training an observer or observable needs before Observe opens.
pub const OBSERVE_TRAINING: &str = "Observe Orientation";

pub const PRODUCTS: &[ProductSpec] = &[
    ProductSpec {
        key: ProductKey::ConnectedTeacher,
        sku: "CNED-MATH-CRS3-TE",
        name: "ConnectED Math Course 3 Teacher Edition",
        family: "ConnectED",
        edition: Edition::Teacher,
        module: Module::None,
        has_resource_codes: false,
        training_prerequisite: None,
    },
    ProductSpec {
        key: ProductKey::ConnectedStudent,
        sku: "CNED-MATH-CRS3-SE",
        name: "ConnectED Math Course 3 Student Edition",
        family: "ConnectED",
        edition: Edition::Student,
        module: Module::None,
        has_resource_codes: false,
        training_prerequisite: None,
    },
    ProductSpec {
        key: ProductKey::Aleks,
        sku: "ALEKS-MATH-1YR",
        name: "ALEKS Math 1-Year Subscription",
        family: "ALEKS",
        edition: Edition::Student,
        module: Module::None,
        has_resource_codes: true,
        training_prerequisite: None,
    },
    ProductSpec {
        key: ProductKey::Jasperactive,
        sku: "JA-OFFICE-2016",
        name: "Jasperactive Office 2016",
        family: "Jasperactive Office 2016",
        edition: Edition::None,
        module: Module::None,
        has_resource_codes: false,
        training_prerequisite: None,
    },
    ProductSpec {
        key: ProductKey::Learn,
        sku: "PD-LEARN",
        name: "Professional Learning: Learn",
        family: "Professional Learning",
        edition: Edition::None,
        module: Module::Learn,
        has_resource_codes: false,
        training_prerequisite: None,
    },
    ProductSpec {
        key: ProductKey::Observe,
        sku: "PD-OBSERVE",
        name: "Professional Learning: Observe",
        family: "Professional Learning",
        edition: Edition::None,
        module: Module::Observe,
        has_resource_codes: false,
        training_prerequisite: Some(OBSERVE_TRAINING),
    },
];

/// Jasperactive Office 2016 courses (the "Products Information" tab).
pub const JASPERACTIVE_COURSES: &[&str] = &[
    "Access",
    "Excel Core",
    "Excel Expert",
    "Outlook",
    "PowerPoint",
    "Word Core",
    "Word Expert",
];

/// ALEKS subjects; each ALEKS license gets a resource code per subject.
pub const ALEKS_SUBJECTS: &[&str] = &[
    "Middle School Math Course 1",
    "Middle School Math Course 2",
    "Middle School Math Course 3",
    "Algebra 1",
    "Geometry",
    "Algebra 2",
    "Pre-Calculus",
    "Chemistry",
];

/// Position of `key` in [`PRODUCTS`].
pub fn index_of(key: ProductKey) -> usize {
    PRODUCTS.iter().position(|p| p.key == key).unwrap_or(0)
}
