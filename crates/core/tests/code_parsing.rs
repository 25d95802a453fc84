//! Fuzzing the code parser through its public API: whatever a person types
//! (any Unicode, any length) gets an answer and never a panic; what the
//! parser accepts is canonical; generated codes survive sloppy typing; and
//! no one-character typo of a real code is ever accepted.

use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use seatdesk_core::codes::{ALPHABET, CodeError, CodeShape, generate, normalize, validate};

fn shape() -> impl Strategy<Value = CodeShape> {
    prop_oneof![Just(CodeShape::Master), Just(CodeShape::Grouped)]
}

fn code() -> impl Strategy<Value = String> {
    (any::<u64>(), shape())
        .prop_map(|(seed, shape)| generate(&mut StdRng::seed_from_u64(seed), shape))
}

/// Strings people and scripts might send: anything, near-codes, and the
/// characters case folding turns into several (ß → SS, ﬃ → FFI).
fn typed() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9A-Za-z \\-]{0,24}",
        "[2-9A-HJ-NP-Z]{12,17}",
        "[ßﬃİıǅ\u{0}\u{301}\u{200b}a-z2-9\\- ]{0,20}",
        code().prop_map(|c| c.to_lowercase()),
    ]
}

/// A character that is not one of the 32 code symbols, once upper-cased.
fn foreign_char() -> impl Strategy<Value = char> {
    any::<char>().prop_filter("outside the alphabet", |c| {
        !c.is_whitespace()
            && *c != '-'
            && c.to_uppercase().count() == 1
            && !c.to_uppercase().all(|u| ALPHABET.contains(u))
    })
}

fn canonical_chars(code: &str) -> Vec<char> {
    normalize(code).chars().collect()
}

/// Is `text` in a shape's display form: 16 symbols, or 5-4-4 with dashes?
fn is_display_form(text: &str) -> bool {
    let groups: Vec<usize> = text.split('-').map(str::len).collect();
    let symbols = text
        .chars()
        .filter(|c| *c != '-')
        .all(|c| ALPHABET.contains(c));
    symbols && (groups == [16] || groups == [5, 4, 4])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_input_gets_an_answer_and_accepted_input_is_canonical(input in typed()) {
        let normalized = normalize(&input);
        prop_assert!(!normalized.contains('-') && !normalized.chars().any(char::is_whitespace));
        match validate(&input) {
            Ok(canonical) => {
                prop_assert!(is_display_form(&canonical), "{canonical:?}");
                prop_assert_eq!(validate(&canonical), Ok(canonical.clone()));
                prop_assert_eq!(normalize(&canonical), normalized);
            }
            Err(CodeError::WrongLength { found }) => {
                prop_assert_eq!(found, normalized.chars().count());
                prop_assert!(CodeShape::from_len(found).is_none());
            }
            Err(CodeError::BadCharacter { character, position }) => {
                prop_assert_eq!(normalized.chars().nth(position - 1), Some(character));
                prop_assert!(!ALPHABET.contains(character));
            }
            Err(CodeError::CheckFailed) => {
                prop_assert!(normalized.chars().all(|c| ALPHABET.contains(c)));
            }
        }
        // The message is always printable text for the person who typed it.
        if let Err(error) = validate(&input) {
            prop_assert!(!error.to_string().is_empty());
        }
    }

    #[test]
    fn generated_codes_round_trip_however_they_are_typed(
        code in code(),
        lower in any::<bool>(),
        cuts in prop::collection::vec((any::<prop::sample::Index>(), prop_oneof![Just(" "), Just("-"), Just("  "), Just("\t")]), 0..6),
    ) {
        let shape = CodeShape::from_len(canonical_chars(&code).len()).unwrap();
        prop_assert!(is_display_form(&code));
        // Sloppy typing: any case, separators anywhere, surrounding blanks.
        let mut typed: Vec<String> = canonical_chars(&code).iter().map(char::to_string).collect();
        for (at, separator) in cuts {
            let index = at.index(typed.len());
            typed[index].push_str(separator);
        }
        let mut sloppy = format!("  {}\n", typed.concat());
        if lower {
            sloppy = sloppy.to_lowercase();
        }
        prop_assert_eq!(validate(&sloppy), Ok(code.clone()));
        prop_assert_eq!(CodeShape::from_len(normalize(&sloppy).len()), Some(shape));
    }

    #[test]
    fn no_one_character_typo_is_accepted(
        code in code(),
        at in any::<prop::sample::Index>(),
        symbol in prop::sample::select(ALPHABET.chars().collect::<Vec<_>>()),
        foreign in foreign_char(),
        kind in 0..4u8,
    ) {
        let mut chars = canonical_chars(&code);
        let index = at.index(chars.len());
        let typo: String = match kind {
            // Substitution by another code symbol.
            0 => {
                prop_assume!(chars[index] != symbol);
                chars[index] = symbol;
                chars.into_iter().collect()
            }
            // Substitution by something that is no code symbol at all.
            1 => {
                chars[index] = foreign;
                let typo: String = chars.into_iter().collect();
                let upper: String = foreign.to_uppercase().collect();
                prop_assert_eq!(
                    validate(&typo),
                    Err(CodeError::BadCharacter { character: upper.chars().next().unwrap(), position: index + 1 })
                );
                typo
            }
            // A character left out or typed twice.
            2 => {
                chars.remove(index);
                chars.into_iter().collect()
            }
            _ => {
                chars.insert(index, symbol);
                chars.into_iter().collect()
            }
        };
        prop_assert!(validate(&typo).is_err(), "typo {typo:?} of {code:?} accepted");
    }

    #[test]
    fn enums_parse_only_their_own_names(text in "[a-z_]{0,16}") {
        use seatdesk_core::{SeatStatus, LicenseStatus, Role};
        if let Some(status) = SeatStatus::parse(&text) {
            prop_assert_eq!(status.as_str(), text.as_str());
        }
        if let Some(status) = LicenseStatus::parse(&text) {
            prop_assert_eq!(status.as_str(), text.as_str());
        }
        let _ = text.parse::<Role>();
        prop_assert!(text.parse::<SeatStatus>().is_ok() == SeatStatus::parse(&text).is_some());
    }

    #[test]
    fn expiry_day_lists_parse_or_say_which_part_is_wrong(text in "[0-9, \\-a]{0,20}") {
        match seatdesk_core::api::alerts::parse_expiry_days(&text) {
            Ok(days) => prop_assert_eq!(days.len(), text.split(',').count()),
            Err(message) => prop_assert!(message.starts_with("expiry_days: '")),
        }
    }
}

#[test]
fn every_shape_length_and_every_other_length_is_told_apart() {
    for len in 0..40 {
        let body = "2".repeat(len);
        match validate(&body) {
            Err(CodeError::WrongLength { found }) => assert_eq!(found, len),
            // 16 and 13 twos have the right length; the check decides.
            other => assert!(len == 16 || len == 13, "{len}: {other:?}"),
        }
    }
}
