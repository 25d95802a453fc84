//! Code formats: master, teacher, redemption, resource and activation codes,
//! drawn from an unambiguous alphabet and ending in a check character.
//!
//! The check character is a Damm-style check over the quasigroup
//! `x ∘ y = α·x + y` in GF(32) (α = the field's generator, α ≠ 0, 1). Folding
//! a code through it is a weighted sum `Σ α^k·d_k` with consecutive weights
//! that differ, so every single-character substitution
//! (`α^k·(d − d') ≠ 0`) and every adjacent transposition
//! (`α^k·(α + 1)·(d − d') ≠ 0`) changes the result and is caught. Plain
//! Luhn mod N misses the transposition of the first and last symbols, which
//! is why it is not used here.

use rand::Rng;
use thiserror::Error;

/// The 32 symbols codes are written in: digits and upper-case letters
/// without the look-alikes 0, O, 1 and I.
pub const ALPHABET: &str = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// How a code is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeShape {
    /// 16 characters, no dashes: 15 random + 1 check character, the
    /// "16-alphanumeric Master Code" of the vendor consoles.
    Master,
    /// `XXXXX-XXXX-XXXX`: 12 random + 1 check character (the last one), as
    /// the teacher code `U7DA7-NIFE-3017` is shown in the seeds.
    Grouped,
}

impl CodeShape {
    /// Characters in the canonical form, check character included, dashes not.
    pub const fn char_count(self) -> usize {
        match self {
            CodeShape::Master => 16,
            CodeShape::Grouped => 13,
        }
    }

    /// Lengths of the dash-separated groups of the display form.
    const fn groups(self) -> &'static [usize] {
        match self {
            CodeShape::Master => &[16],
            CodeShape::Grouped => &[5, 4, 4],
        }
    }

    /// The shape whose canonical length is `len`, if any.
    pub fn from_len(len: usize) -> Option<CodeShape> {
        [CodeShape::Master, CodeShape::Grouped]
            .into_iter()
            .find(|shape| shape.char_count() == len)
    }
}

/// Why a typed-in code is not a well-formed code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CodeError {
    #[error(
        "a code has {master} characters (master) or {grouped} characters (XXXXX-XXXX-XXXX), not {found}",
        master = CodeShape::Master.char_count(),
        grouped = CodeShape::Grouped.char_count()
    )]
    WrongLength { found: usize },
    #[error(
        "'{character}' at position {position} cannot appear in a code (codes use {ALPHABET}; no 0, O, 1 or I)"
    )]
    BadCharacter { character: char, position: usize },
    #[error("the code's check character does not match: the code was mistyped")]
    CheckFailed,
}

/// Multiplication by α (= x) in GF(2^5) modulo x^5 + x^2 + 1.
const fn times_alpha(value: u8) -> u8 {
    let shifted = value << 1;
    if shifted & 0b10_0000 != 0 {
        (shifted ^ 0b10_0101) & 0b1_1111
    } else {
        shifted
    }
}

/// One step of the check fold: `state ∘ digit = α·state + digit`.
const fn fold_step(state: u8, digit: u8) -> u8 {
    times_alpha(state) ^ digit
}

/// The alphabet index of `character`, if it belongs to the alphabet.
fn digit_of(character: char) -> Option<u8> {
    ALPHABET
        .bytes()
        .position(|b| char::from(b) == character)
        .map(|index| index as u8)
}

fn symbol(digit: u8) -> char {
    char::from(ALPHABET.as_bytes()[usize::from(digit)])
}

/// The check character that makes `body` (alphabet characters only) fold to 0.
fn check_character(body: &str) -> char {
    let state = body
        .chars()
        .map(|c| digit_of(c).expect("body is drawn from the alphabet"))
        .fold(0, fold_step);
    // α·state + check = 0  ⇔  check = α·state (characteristic 2).
    symbol(times_alpha(state))
}

/// Inserts the dashes of `shape`'s display form into a canonical code.
fn display_form(canonical: &str, shape: CodeShape) -> String {
    let mut out = String::with_capacity(canonical.len() + 2);
    let mut rest = canonical;
    for (index, &group) in shape.groups().iter().enumerate() {
        if index > 0 {
            out.push('-');
        }
        let (head, tail) = rest.split_at(group);
        out.push_str(head);
        rest = tail;
    }
    out
}

/// A fresh random code of `shape` in display form. Pass a CSPRNG
/// (`rand::rng()`) for codes people redeem; uniqueness is the database's job.
pub fn generate<R: Rng + ?Sized>(rng: &mut R, shape: CodeShape) -> String {
    let alphabet = ALPHABET.as_bytes();
    let mut body: String = (0..shape.char_count() - 1)
        .map(|_| char::from(alphabet[rng.random_range(0..alphabet.len())]))
        .collect();
    let check = check_character(&body);
    body.push(check);
    display_form(&body, shape)
}

/// What a person typed, reduced to the characters that matter: trimmed,
/// upper-cased, spaces and dashes removed.
pub fn normalize(input: &str) -> String {
    input
        .trim()
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Checks a typed-in code and returns its canonical display form (the form
/// codes are stored in), or says what is wrong with it.
pub fn validate(input: &str) -> Result<String, CodeError> {
    let normalized = normalize(input);
    let length = normalized.chars().count();
    let shape = CodeShape::from_len(length).ok_or(CodeError::WrongLength { found: length })?;
    let mut state = 0;
    for (index, character) in normalized.chars().enumerate() {
        let digit = digit_of(character).ok_or(CodeError::BadCharacter {
            character,
            position: index + 1,
        })?;
        state = fold_step(state, digit);
    }
    if state != 0 {
        return Err(CodeError::CheckFailed);
    }
    Ok(display_form(&normalized, shape))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn shape_strategy() -> impl Strategy<Value = CodeShape> {
        prop_oneof![Just(CodeShape::Master), Just(CodeShape::Grouped)]
    }

    fn code_strategy() -> impl Strategy<Value = String> {
        (any::<u64>(), shape_strategy())
            .prop_map(|(seed, shape)| generate(&mut StdRng::seed_from_u64(seed), shape))
    }

    #[test]
    fn alphabet_has_32_unambiguous_symbols() {
        assert_eq!(ALPHABET.len(), 32);
        for banned in ['0', 'O', '1', 'I'] {
            assert!(!ALPHABET.contains(banned));
        }
        let mut sorted: Vec<char> = ALPHABET.chars().collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 32);
    }

    #[test]
    fn the_quasigroup_is_totally_anti_symmetric() {
        // (c∘x)∘y = (c∘y)∘x only when x = y, for every c, x, y: the property
        // Damm's scheme needs to catch every adjacent transposition.
        for c in 0..32 {
            for x in 0..32 {
                for y in 0..32 {
                    let xy = fold_step(fold_step(c, x), y);
                    let yx = fold_step(fold_step(c, y), x);
                    assert_eq!(xy == yx, x == y, "c={c} x={x} y={y}");
                }
            }
        }
    }

    #[test]
    fn shapes_are_laid_out_as_in_the_seeds() {
        let mut rng = StdRng::seed_from_u64(7);
        let master = generate(&mut rng, CodeShape::Master);
        assert_eq!(master.len(), 16);
        assert!(!master.contains('-'));
        let grouped = generate(&mut rng, CodeShape::Grouped);
        let groups: Vec<usize> = grouped.split('-').map(str::len).collect();
        assert_eq!(groups, vec![5, 4, 4]);
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(validate("ABC"), Err(CodeError::WrongLength { found: 3 }));
        assert_eq!(
            validate("ABCDE-FGH0-JKLM"),
            Err(CodeError::BadCharacter {
                character: '0',
                position: 9
            })
        );
        let message = validate("OBCDE-FGHJ-KLMN").unwrap_err().to_string();
        assert!(message.contains("'O'"), "{message}");
    }

    #[test]
    fn typed_in_codes_are_forgiving_about_case_spaces_and_dashes() {
        let code = generate(&mut StdRng::seed_from_u64(3), CodeShape::Grouped);
        let sloppy = format!("  {} ", code.to_lowercase().replace('-', " "));
        assert_eq!(validate(&sloppy), Ok(code));
    }

    proptest! {
        #[test]
        fn generated_codes_validate_to_themselves(code in code_strategy()) {
            prop_assert_eq!(validate(&code), Ok(code.clone()));
        }

        #[test]
        fn any_single_substitution_is_caught(
            code in code_strategy(),
            position in any::<prop::sample::Index>(),
            replacement in 0u8..32,
        ) {
            let mut chars: Vec<char> = normalize(&code).chars().collect();
            let index = position.index(chars.len());
            prop_assume!(chars[index] != symbol(replacement));
            chars[index] = symbol(replacement);
            let typo: String = chars.into_iter().collect();
            prop_assert_eq!(validate(&typo), Err(CodeError::CheckFailed));
        }

        #[test]
        fn any_adjacent_transposition_is_caught(
            code in code_strategy(),
            position in any::<prop::sample::Index>(),
        ) {
            let mut chars: Vec<char> = normalize(&code).chars().collect();
            let index = position.index(chars.len() - 1);
            prop_assume!(chars[index] != chars[index + 1]);
            chars.swap(index, index + 1);
            let typo: String = chars.into_iter().collect();
            prop_assert_eq!(validate(&typo), Err(CodeError::CheckFailed));
        }

        #[test]
        fn normalize_is_idempotent(input in ".{0,40}") {
            let once = normalize(&input);
            prop_assert_eq!(normalize(&once), once.clone());
        }
    }
}
