//! Reading and writing spin rasters and model files.

pub mod atomic;
pub mod checkpoint;
pub mod model_file;
pub mod raster_io;
pub mod text;

pub use atomic::{check_replaceable, directory_of, remove_unfinished, write_atomic};
pub use checkpoint::{Checkpoint, DataFingerprint};
pub use model_file::{ModelFile, ModelKind};
pub use raster_io::{read_raster, write_raster, Layout};
