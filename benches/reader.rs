//! Reading a 1,000-cell recording from text: the synthetic retina of 1,000 cells × 283,041
//! bins (4 % ones), 566 MB of "0 1 0 …" lines, one line per cell, written once to a
//! temporary file.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use spinfer::{
    data::{read_raster, write_raster, Layout},
    retina::RetinaSettings,
};

fn read_text(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r1000.txt");
    let raster = RetinaSettings {
        cells: 1000,
        ..Default::default()
    }
    .generate()
    .unwrap();
    write_raster(&path, &raster, Layout::SpinsBySamples).unwrap();
    let bytes = std::fs::metadata(&path).unwrap().len();
    let mut group = c.benchmark_group("read_raster");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes(bytes));
    group.bench_function("retina_1000_cells_566MB_text", |b| {
        b.iter(|| read_raster(&path, Layout::SpinsBySamples).unwrap())
    });
    group.finish();
}

criterion_group!(benches, read_text);
criterion_main!(benches);
