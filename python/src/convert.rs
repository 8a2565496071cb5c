//! Between numpy and spinfer: rasters, models, names of settings, errors.

use numpy::{ndarray::Array2, IntoPyArray, PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::{
    exceptions::{PyFileNotFoundError, PyOSError, PyRuntimeError, PyValueError},
    prelude::*,
};
use spinfer::{
    data::{ModelFile, ModelKind},
    Error, Raster,
};

use crate::DivergedError;

/// A library error as the Python exception a user expects: `ValueError` for what the user
/// can fix in their input or settings (with the message the command prints),
/// `FileNotFoundError`/`OSError` for files, `RuntimeError` otherwise.
pub fn py_error(e: Error) -> PyErr {
    match &e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            PyFileNotFoundError::new_err(e.to_string())
        }
        Error::Io { .. } => PyOSError::new_err(e.to_string()),
        Error::NonFinite { .. } => DivergedError::new_err((e.to_string(), None::<()>, None::<()>)),
        // Named as Python spells the keyword (repeat_bins), not as the command (--repeat-bins).
        Error::InvalidSetting {
            name,
            value,
            allowed,
        } => PyValueError::new_err(format!(
            "invalid setting {} = {value}: must be {allowed}",
            name.replace('-', "_")
        )),
        _ if e.is_bad_input() => PyValueError::new_err(e.to_string()),
        _ => PyRuntimeError::new_err(e.to_string()),
    }
}

/// A setting given by name (`"metropolis"`, `"lbfgs"`, ...): the library's choice of that
/// name ([`spinfer::choice`]), or a `ValueError` listing the allowed names.
pub fn named<T: spinfer::choice::ValueEnum>(setting: &'static str, value: &str) -> PyResult<T> {
    spinfer::choice::parse(setting, value).map_err(py_error)
}

/// The raster of a (samples × spins) array of 0/1 bytes, C-contiguous (checked in Python).
pub fn raster(x: &PyReadonlyArray2<'_, u8>) -> PyResult<Raster> {
    let (t, n) = x.as_array().dim();
    spinfer::raster::check_request("samples", t, n, t).map_err(py_error)?;
    let bytes = x
        .as_slice()
        .map_err(|_| PyValueError::new_err("X must be C-contiguous"))?;
    let words = t.div_ceil(64);
    let mut rows = vec![vec![0u64; words]; n];
    // 64 samples at a time (n · 64 bytes, in cache): each spin's word is gathered from them
    // without branches.
    for (word, block) in bytes.chunks(64 * n.max(1)).enumerate() {
        for (i, row) in rows.iter_mut().enumerate() {
            row[word] = block
                .chunks_exact(n)
                .enumerate()
                .fold(0u64, |w, (k, sample)| w | (u64::from(sample[i] != 0) << k));
        }
    }
    Raster::from_bit_rows(rows, t).map_err(py_error)
}

/// A raster as a (samples × spins) array of 0/1 bytes.
pub fn raster_array<'py>(py: Python<'py>, raster: &Raster) -> Bound<'py, PyArray2<u8>> {
    let (n, t) = (raster.n_spins(), raster.n_samples());
    let mut out = Array2::<u8>::zeros((t, n));
    for i in 0..n {
        let row = raster.row(i);
        for s in 0..t {
            out[(s, i)] = ((row[s / 64] >> (s % 64)) & 1) as u8;
        }
    }
    out.into_pyarray(py)
}

/// A model as Python passes it: `(kind, h, J, symmetric, self_couplings, V or None)`.
pub type ModelSpec<'py> = (
    String,
    PyReadonlyArray1<'py, f64>,
    PyReadonlyArray2<'py, f64>,
    bool,
    bool,
    Option<PyReadonlyArray1<'py, f64>>,
);

/// The model file of a spec, checked by the rules model files are read with (sizes, finite
/// values, symmetry, zero diagonal, magnitudes).
pub fn model_file(spec: &ModelSpec<'_>) -> PyResult<ModelFile> {
    let (kind, h, j, symmetric, self_couplings, v) = spec;
    let kind: ModelKind = named("kind", kind)?;
    let h = h.as_array();
    let n = h.len();
    let j = j.as_array();
    if j.shape() != [n, n] {
        return Err(PyValueError::new_err(format!(
            "J has shape {:?}, h has {n} entries: J must be {n} × {n}",
            j.shape()
        )));
    }
    let file = ModelFile {
        version: ModelFile::VERSION,
        kind,
        n,
        h: h.to_vec(),
        j: j.rows().into_iter().map(|r| r.to_vec()).collect(),
        v: v.as_ref()
            .map(|v| v.as_array().to_vec())
            .unwrap_or_default(),
        symmetric: *symmetric,
        self_couplings: *self_couplings,
        settings: serde_json::Value::Null,
        metrics: serde_json::Value::Null,
        labels: Vec::new(),
    };
    file.validate(std::path::Path::new("the model"))
        .map_err(py_error)?;
    Ok(file)
}

/// What a model file says besides its arrays, as the JSON the Python `Model` reads: kind,
/// symmetric, self_couplings, V, settings, metrics and labels.
pub fn file_meta(file: &ModelFile) -> serde_json::Value {
    serde_json::json!({
        "kind": file.kind,
        "symmetric": file.symmetric,
        "self_couplings": file.self_couplings,
        "V": file.v,
        "settings": file.settings,
        "metrics": file.metrics,
        "labels": file.labels,
    })
}

/// h and J of a model file, as numpy arrays.
pub fn file_arrays<'py>(
    py: Python<'py>,
    file: &ModelFile,
) -> (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>) {
    let n = file.n;
    let j = Array2::from_shape_fn((n, n), |(a, b)| file.j[a][b]);
    (PyArray1::from_slice(py, &file.h), j.into_pyarray(py))
}
