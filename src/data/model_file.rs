//! Model files: JSON `{"version": 2, "kind": "ising"|"k-pairwise"|"kinetic", "n": N,
//! "h": [...], "J": [[...], ...], "V": [...]}`: named parameter blocks, those of the kind.
//! Files without a version (the first format: h and J only) still read.

use std::path::Path;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::write_atomic;
use crate::{
    model::{Energy, Equilibrium, Ising, KPairwise, KineticIsing, KineticOptions},
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
    /// K-pairwise: the equilibrium Ising energy minus a potential V(K) on the number K of
    /// active cells (block `"V"`: V(K) for K = 0..=N).
    #[serde(rename = "k-pairwise")]
    #[cfg_attr(feature = "clap", value(name = "k-pairwise"))]
    KPairwise,
}

/// The on-disk form of a model. Values are f64 (an f32 model is widened exactly), so a file
/// round-trips bit for bit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelFile {
    /// Format version ([`ModelFile::VERSION`]; 1 for files without one).
    #[serde(default = "ModelFile::first_version")]
    pub version: u32,
    /// Model family.
    pub kind: ModelKind,
    /// Number of spins.
    pub n: usize,
    /// Fields h_i.
    pub h: Vec<f64>,
    /// Couplings, row i = `J[i][0..N]`.
    #[serde(rename = "J")]
    pub j: Vec<Vec<f64>>,
    /// K-pairwise models: V(K) for K = 0..=N.
    #[serde(rename = "V", default, skip_serializing_if = "Vec::is_empty")]
    pub v: Vec<f64>,
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
            version: Self::VERSION,
            kind: ModelKind::Ising,
            n,
            h: model.fields().iter().map(|v| v.as_f64()).collect(),
            j: rows(n, |i, k| model.couplings()[(i, k)]),
            v: Vec::new(),
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
            version: Self::VERSION,
            kind: ModelKind::Kinetic,
            n,
            h: model.fields().iter().map(|v| v.as_f64()).collect(),
            j: rows(n, |i, k| j[(i, k)]),
            v: Vec::new(),
            symmetric: model.options().symmetric,
            self_couplings: model.options().self_couplings,
            settings: serde_json::Value::Null,
            metrics: serde_json::Value::Null,
            labels: Vec::new(),
        }
    }

    /// The file form of a K-pairwise model: its h and J, and V(K) for K = 0..=N.
    pub fn from_k_pairwise<T: Real>(model: &KPairwise<T>) -> Self {
        ModelFile {
            kind: ModelKind::KPairwise,
            v: model.potential().iter().map(|v| v.as_f64()).collect(),
            ..Self::from_ising(model.pairwise())
        }
    }

    /// The K-pairwise model held by the file (every V(K) a parameter).
    pub fn to_k_pairwise<T: Real>(&self) -> Result<KPairwise<T>> {
        self.expect_kind(ModelKind::KPairwise)?;
        let (h, j) = self.arrays();
        let v: Vec<T> = self.v.iter().map(|&x| T::cast(x)).collect();
        KPairwise::with_potential(Ising::new(h, j)?, &v)
    }

    /// The equilibrium model held by the file, of either family (Ising or K-pairwise).
    pub fn to_equilibrium<T: Real>(&self) -> Result<Equilibrium<T>> {
        match self.kind {
            ModelKind::Ising => self.to_ising().map(Equilibrium::Ising),
            ModelKind::KPairwise => self.to_k_pairwise().map(Equilibrium::KPairwise),
            ModelKind::Kinetic => Err(Error::Shape(
                "expected an equilibrium (ising or k-pairwise) model, the file holds a kinetic \
                 model"
                    .into(),
            )),
        }
    }

    /// The format this version writes: 2 (named blocks, K-pairwise models).
    pub const VERSION: u32 = 2;

    fn first_version() -> u32 {
        1
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
        if self.version == 0 || self.version > Self::VERSION {
            return Err(bad(format!(
                "model file version {} is not one this spinfer reads (1 to {}): it was \
                 written by a newer spinfer",
                self.version,
                Self::VERSION
            )));
        }
        match (self.kind, self.v.len()) {
            (ModelKind::KPairwise, len) if len != self.n + 1 => {
                return Err(bad(format!(
                    "n = {} but V has {len} entries: a K-pairwise model needs V(K) for K = \
                     0..={}",
                    self.n, self.n
                )))
            }
            (ModelKind::Ising | ModelKind::Kinetic, len) if len > 0 => {
                return Err(bad(format!(
                    "a {:?} model has no V block (it holds {len} entries)",
                    self.kind
                )))
            }
            _ => {}
        }
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
            .chain(&self.v)
            .all(|v| v.is_finite());
        if !finite {
            return Err(bad("h, J or V holds a non-finite value".into()));
        }
        let largest = self
            .h
            .iter()
            .chain(self.j.iter().flatten())
            .chain(&self.v)
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
            ModelKind::KPairwise => self.to_k_pairwise::<f64>().map(drop),
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
    fn a_k_pairwise_model_round_trips_exactly_and_old_files_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let v: Vec<f64> = (0..=6)
            .map(|k| 0.1 * k as f64 - 0.37 * (k as f64).sqrt())
            .collect();
        let model = KPairwise::with_potential(Ising::<f64>::planted(6, &mut rng), &v).unwrap();
        ModelFile::from_k_pairwise(&model).write(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("\"k-pairwise\"")
                && text.contains("\"V\"")
                && text.contains("\"version\": 2")
        );
        let back = ModelFile::read(&path).unwrap();
        assert_eq!(back.to_k_pairwise::<f64>().unwrap(), model);
        assert!(matches!(back.to_ising::<f64>(), Err(Error::Shape(_))));
        // The first format: no version, h and J only.
        std::fs::write(
            &path,
            r#"{"kind":"ising","n":2,"h":[0.5,0],"J":[[0,1],[1,0]]}"#,
        )
        .unwrap();
        let old = ModelFile::read(&path).unwrap();
        assert_eq!(
            (
                old.version,
                old.to_ising::<f64>().unwrap().couplings()[(0, 1)]
            ),
            (1, 1.0)
        );
        for bad in [
            r#"{"kind":"k-pairwise","n":2,"h":[0,0],"J":[[0,0],[0,0]],"V":[0,1]}"#,
            r#"{"kind":"ising","n":2,"h":[0,0],"J":[[0,0],[0,0]],"V":[0,1,2]}"#,
            r#"{"version":9,"kind":"ising","n":2,"h":[0,0],"J":[[0,0],[0,0]]}"#,
        ] {
            std::fs::write(&path, bad).unwrap();
            assert!(
                matches!(ModelFile::read(&path), Err(Error::Shape(_))),
                "{bad}"
            );
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
