//! Model files: JSON `{"kind": "ising"|"kinetic", "n": N, "h": [...], "J": [[...], ...]}`.

use std::path::Path;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::write_atomic;
use crate::{
    model::{Energy, Ising, KineticIsing, KineticOptions},
    Error, Real, Result,
};

/// Which model a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Equilibrium Ising: E(s) = −Σ h_i s_i − Σ_{i<j} J_ij s_i s_j, J symmetric.
    Ising,
    /// Kinetic Ising: `J[i][j]` is the effect of spin j at time t on spin i at time t+1.
    Kinetic,
}

/// The on-disk form of a model. Values are f64 (an f32 model is widened exactly), so a file
/// round-trips bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Model family.
    pub kind: ModelKind,
    /// Number of spins.
    pub n: usize,
    /// Fields h_i.
    pub h: Vec<f64>,
    /// Couplings, row i = `J[i][0..N]`.
    #[serde(rename = "J")]
    pub j: Vec<Vec<f64>>,
    /// Kinetic models: J constrained symmetric.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub symmetric: bool,
    /// Kinetic models: self-couplings J_ii allowed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub self_couplings: bool,
    /// How the model was made (free-form).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub settings: serde_json::Value,
    /// Final metrics (free-form).
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub metrics: serde_json::Value,
    /// Names of the cells, one per spin in order (for example a recording's channel names,
    /// kept from a pandas DataFrame's columns); empty when the cells have none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
}

fn rows<T: Real>(n: usize, at: impl Fn(usize, usize) -> T) -> Vec<Vec<f64>> {
    (0..n)
        .map(|i| (0..n).map(|k| at(i, k).as_f64()).collect())
        .collect()
}

impl ModelFile {
    /// The file form of an equilibrium model.
    pub fn from_ising<T: Real>(model: &Ising<T>) -> Self {
        let n = model.n_spins();
        ModelFile {
            kind: ModelKind::Ising,
            n,
            h: model.fields().iter().map(|v| v.as_f64()).collect(),
            j: rows(n, |i, k| model.couplings()[(i, k)]),
            symmetric: false,
            self_couplings: false,
            settings: serde_json::Value::Null,
            metrics: serde_json::Value::Null,
            labels: Vec::new(),
        }
    }

    /// The file form of a kinetic model.
    pub fn from_kinetic<T: Real>(model: &KineticIsing<T>) -> Self {
        let n = model.n_spins();
        let j = model.couplings();
        ModelFile {
            kind: ModelKind::Kinetic,
            n,
            h: model.fields().iter().map(|v| v.as_f64()).collect(),
            j: rows(n, |i, k| j[(i, k)]),
            symmetric: model.options().symmetric,
            self_couplings: model.options().self_couplings,
            settings: serde_json::Value::Null,
            metrics: serde_json::Value::Null,
            labels: Vec::new(),
        }
    }

    fn arrays<T: Real>(&self) -> (DVector<T>, DMatrix<T>) {
        let h = DVector::from_iterator(self.n, self.h.iter().map(|&v| T::cast(v)));
        let j = DMatrix::from_fn(self.n, self.n, |i, k| T::cast(self.j[i][k]));
        (h, j)
    }

    fn expect_kind(&self, kind: ModelKind) -> Result<()> {
        if self.kind == kind {
            Ok(())
        } else {
            Err(Error::Shape(format!(
                "expected a {kind:?} model, the file holds a {:?} model",
                self.kind
            )))
        }
    }

    /// The equilibrium model held by the file.
    pub fn to_ising<T: Real>(&self) -> Result<Ising<T>> {
        self.expect_kind(ModelKind::Ising)?;
        let (h, j) = self.arrays();
        Ising::new(h, j)
    }

    /// The kinetic model held by the file.
    pub fn to_kinetic<T: Real>(&self) -> Result<KineticIsing<T>> {
        self.expect_kind(ModelKind::Kinetic)?;
        let (h, j) = self.arrays();
        let options = KineticOptions {
            symmetric: self.symmetric,
            self_couplings: self.self_couplings,
        };
        KineticIsing::new(h, j, options)
    }

    /// Largest |h_i| or |J_ij| a model file may hold. Beyond it every spin is deterministic
    /// to double precision, and energies summed over 8192 spins could leave the range of
    /// finite numbers.
    pub const MAX_PARAMETER: f64 = 1e6;

    /// Checks sizes, finiteness, magnitudes and the model's constraints; `path` names the
    /// model's source in errors (a file, or any name: models built in memory are checked
    /// with the same rules as files).
    pub fn validate(&self, path: &Path) -> Result<()> {
        let bad = |m: String| Error::Shape(format!("{}: {m}", path.display()));
        if self.n == 0 {
            return Err(bad("n = 0: a model needs at least one spin".into()));
        }
        crate::model::check_dense_size(self.n).map_err(|e| bad(e.to_string()))?;
        if self.h.len() != self.n {
            return Err(bad(format!(
                "n = {} but h has {} entries",
                self.n,
                self.h.len()
            )));
        }
        if self.j.len() != self.n {
            return Err(bad(format!(
                "n = {} but J has {} rows",
                self.n,
                self.j.len()
            )));
        }
        if !self.labels.is_empty() && self.labels.len() != self.n {
            return Err(bad(format!(
                "n = {} but there are {} cell labels",
                self.n,
                self.labels.len()
            )));
        }
        if let Some((i, row)) = self.j.iter().enumerate().find(|(_, r)| r.len() != self.n) {
            return Err(bad(format!(
                "J is not square: row {i} has {} entries, n = {}",
                row.len(),
                self.n
            )));
        }
        let finite = self
            .h
            .iter()
            .chain(self.j.iter().flatten())
            .all(|v| v.is_finite());
        if !finite {
            return Err(bad("h or J holds a non-finite value".into()));
        }
        let largest = self
            .h
            .iter()
            .chain(self.j.iter().flatten())
            .fold(0.0f64, |m, v| m.max(v.abs()));
        if largest > Self::MAX_PARAMETER {
            return Err(bad(format!(
                "a parameter of size {largest:e} is above the limit {:e}: no finite \
                 likelihood or sample statistics can be computed from it",
                Self::MAX_PARAMETER
            )));
        }
        // The model's own constraints (symmetric J, zero diagonal), named with the file.
        let built = match self.kind {
            ModelKind::Ising => self.to_ising::<f64>().map(drop),
            ModelKind::Kinetic => self.to_kinetic::<f64>().map(drop),
        };
        built.map_err(|e| match e {
            Error::Shape(m) => bad(m),
            other => bad(other.to_string()),
        })
    }

    /// Reads and validates a model file (gzip-compressed or not).
    pub fn read(path: &Path) -> Result<Self> {
        let text = super::text::read_text(path)?;
        Self::parse(&text, path)
    }

    /// Parses and validates the text of a model file; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let file: ModelFile = serde_json::from_str(text).map_err(|e| Error::Parse {
            file: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        file.validate(path)?;
        Ok(file)
    }

    /// Writes the file atomically, pretty-printed, after the checks of [`ModelFile::read`], so
    /// that no command writes a model file that the others refuse.
    pub fn write(&self, path: &Path) -> Result<()> {
        self.validate(path)?;
        write_atomic(path, |w| {
            serde_json::to_writer_pretty(&mut *w, self).map_err(std::io::Error::other)?;
            w.write_all(b"\n")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn models_round_trip_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
        let ising: Ising<f64> = Ising::planted(6, &mut rng);
        let path = dir.path().join("m.json");
        ModelFile::from_ising(&ising).write(&path).unwrap();
        assert_eq!(
            ModelFile::read(&path).unwrap().to_ising::<f64>().unwrap(),
            ising
        );
        let opts = KineticOptions {
            symmetric: false,
            self_couplings: true,
        };
        let kinetic: KineticIsing<f32> = KineticIsing::planted(5, opts, &mut rng);
        ModelFile::from_kinetic(&kinetic).write(&path).unwrap();
        let back = ModelFile::read(&path).unwrap();
        assert_eq!(back.to_kinetic::<f32>().unwrap(), kinetic);
        assert!(matches!(back.to_ising::<f32>(), Err(Error::Shape(_))));
    }

    #[test]
    fn malformed_models_are_refused_with_the_right_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.json");
        let cases = [
            (
                r#"{"kind":"ising","n":2,"h":[0,NaN],"J":[[0,0],[0,0]]}"#,
                "parse",
            ),
            (
                r#"{"kind":"ising","n":2,"h":[0,0],"J":[[0,0,0],[0,0]]}"#,
                "shape",
            ),
            (
                r#"{"kind":"ising","n":2,"h":[0],"J":[[0,0],[0,0]]}"#,
                "shape",
            ),
            (
                r#"{"kind":"ising","n":2,"h":[0,1e999],"J":[[0,0],[0,0]]}"#,
                "any",
            ),
            (r#"{"kind":"potts","n":1,"h":[0],"J":[[0]]}"#, "parse"),
            (
                r#"{"kind":"ising","n":2,"h":[0,0],"J":[[0,0],[0,0]],"labels":["a"]}"#,
                "shape",
            ),
        ];
        for (text, kind) in cases {
            std::fs::write(&path, text).unwrap();
            let err = ModelFile::read(&path).unwrap_err();
            match kind {
                "parse" => assert!(matches!(err, Error::Parse { .. }), "{text}: {err}"),
                "shape" => assert!(matches!(err, Error::Shape(_)), "{text}: {err}"),
                _ => assert!(err.is_bad_input(), "{text}: {err}"),
            }
        }
    }

    #[test]
    fn cell_labels_round_trip_and_files_without_them_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.json");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        let mut file = ModelFile::from_ising(&Ising::<f64>::planted(3, &mut rng));
        file.write(&path).unwrap();
        assert!(!std::fs::read_to_string(&path).unwrap().contains("labels"));
        assert!(ModelFile::read(&path).unwrap().labels.is_empty());
        file.labels = vec!["ch 1".into(), "ch 2".into(), "ch 3".into()];
        file.write(&path).unwrap();
        assert_eq!(ModelFile::read(&path).unwrap().labels, file.labels);
    }
}
