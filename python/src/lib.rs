//! `spinfer._native`: the Rust side of the Python package. The public API, its input
//! checks and its docstrings live in `python/spinfer/`; these functions take arrays already
//! checked there (0/1 `uint8` rasters of samples × spins, float64 parameters) and release
//! the GIL for every fit and sample.

mod chains;
mod convert;
mod defaults;
mod fits;
mod models;

use pyo3::prelude::*;

pyo3::create_exception!(
    _native,
    DivergedError,
    pyo3::exceptions::PyRuntimeError,
    "A fit's parameters, gradient or objective became non-finite; args: (message, h, J) of \
     the last model whose objective was finite (h, J None when there is none)."
);

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DivergedError", m.py().get_type::<DivergedError>())?;
    m.add_function(wrap_pyfunction!(defaults::defaults, m)?)?;
    m.add_function(wrap_pyfunction!(defaults::choices, m)?)?;
    m.add_function(wrap_pyfunction!(fits::fit_ising, m)?)?;
    m.add_function(wrap_pyfunction!(fits::fit_kinetic, m)?)?;
    m.add_function(wrap_pyfunction!(models::check_model, m)?)?;
    m.add_function(wrap_pyfunction!(models::load, m)?)?;
    m.add_function(wrap_pyfunction!(models::save, m)?)?;
    m.add_function(wrap_pyfunction!(models::sample, m)?)?;
    m.add_function(wrap_pyfunction!(models::log_likelihood, m)?)?;
    m.add_function(wrap_pyfunction!(models::compare, m)?)?;
    m.add_function(wrap_pyfunction!(models::thermo, m)?)?;
    m.add_function(wrap_pyfunction!(models::read_raster, m)?)?;
    m.add_function(wrap_pyfunction!(models::synthetic_retina, m)?)?;
    m.add_class::<chains::Chains>()?;
    Ok(())
}
