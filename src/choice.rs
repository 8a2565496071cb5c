//! Run-time choices by name. Every choice a user makes by name (the solver, the sampler,
//! the layout of a file, ...) is one library enum deriving [`clap::ValueEnum`] (with the
//! `clap` feature): the command's flags, the Python keywords and their error messages all
//! read the names, help and allowed values from it, so no list of names is written twice.
//! The names are also the enums' serde names, as model files and checkpoints spell them.

pub use clap::ValueEnum;

use crate::{
    data::{Layout, ModelKind},
    fit::{EquilibriumModel, Estimator, IsingMethod, Stepping},
    init::Init,
    optim::OptimizerKind,
    sample::SamplerKind,
    solve::SolverKind,
    validate::Split,
    workflow::ScoreMethod,
    Error, Precision, Result,
};

/// The names of every value of a choice, in order.
pub fn names<E: ValueEnum>() -> Vec<String> {
    E::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|p| p.get_name().to_string())
        .collect()
}

/// The allowed values of a choice as a sentence: "a, b or c".
pub fn allowed<E: ValueEnum>() -> String {
    let names = names::<E>();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The value of `setting` named `value`, or [`Error::InvalidSetting`] listing the allowed names.
///
/// ```
/// use spinfer::{choice, solve::SolverKind};
///
/// assert_eq!(choice::parse::<SolverKind>("solver", "lbfgs").unwrap(), SolverKind::Lbfgs);
/// let e = choice::parse::<SolverKind>("solver", "bfgs").unwrap_err().to_string();
/// assert!(e.contains("auto, gradient, lbfgs or newton"), "{e}");
/// ```
pub fn parse<E: ValueEnum>(setting: &'static str, value: &str) -> Result<E> {
    E::from_str(value, false)
        .map_err(|_| Error::setting(setting, format!("{value:?}"), allowed::<E>()))
}

/// The name of one value.
pub fn name<E: ValueEnum>(value: &E) -> String {
    value
        .to_possible_value()
        .map(|p| p.get_name().to_string())
        .unwrap_or_default()
}

/// Every run-time choice of the library by the name of its setting (the command's flag
/// without `--`, the Python keyword), with its allowed values.
pub fn all() -> Vec<(&'static str, Vec<String>)> {
    vec![
        ("solver", names::<SolverKind>()),
        ("init", names::<Init>()),
        ("optimizer", names::<OptimizerKind>()),
        ("model", names::<EquilibriumModel>()),
        ("method", names::<IsingMethod>()),
        ("sampler", names::<SamplerKind>()),
        ("estimator", names::<Estimator>()),
        ("stepping", names::<Stepping>()),
        ("precision", names::<Precision>()),
        ("layout", names::<Layout>()),
        ("split", names::<Split>()),
        ("kind", names::<ModelKind>()),
        ("score", names::<ScoreMethod>()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each value's serde name (model files, checkpoints) is its clap name.
    fn same_names<E: ValueEnum + serde::Serialize>() {
        for v in E::value_variants() {
            let serde = serde_json::to_value(v).unwrap();
            assert_eq!(serde.as_str(), Some(name(v).as_str()));
        }
    }

    #[test]
    fn files_and_flags_spell_every_choice_alike() {
        same_names::<SolverKind>();
        same_names::<Init>();
        same_names::<OptimizerKind>();
        same_names::<IsingMethod>();
        same_names::<EquilibriumModel>();
        same_names::<SamplerKind>();
        same_names::<Estimator>();
        same_names::<Stepping>();
        same_names::<Precision>();
        same_names::<Layout>();
        same_names::<Split>();
        same_names::<ModelKind>();
        same_names::<ScoreMethod>();
        for v in SolverKind::value_variants() {
            assert_eq!(v.name(), name(v));
        }
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_allowed_ones() {
        let e = parse::<Precision>("precision", "f16").unwrap_err();
        assert!(matches!(e, Error::InvalidSetting { .. }), "{e:?}");
        assert!(e.to_string().contains("f32 or f64"), "{e}");
        assert_eq!(
            parse::<Layout>("layout", "samples-by-spins").unwrap(),
            Layout::SamplesBySpins
        );
    }
}
