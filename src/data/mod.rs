//! Reading and writing spin rasters and model files.
