//! Compresses one response body (a file) with each encoding the server offers, at the
//! level of the compression layer (4, every uncached response) and at the level used
//! once per cached answer (6), and at 9 for comparison, and prints the size and the median time of each.
//!
//!   stockade-bench-compression BODY.json [RUNS]

use std::io::Write;
use std::time::{Duration, Instant};

fn gzip(body: &[u8], level: u32) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    w.write_all(body).unwrap();
    w.finish().unwrap()
}

fn brotli(body: &[u8], level: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, level, 22);
        w.write_all(body).unwrap();
    }
    out
}

fn zstd(body: &[u8], level: u32) -> Vec<u8> {
    zstd::bulk::compress(body, level as i32).unwrap()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: stockade-bench-compression BODY.json [RUNS]");
    let runs: usize = args.next().map_or(50, |r| r.parse().expect("RUNS is a number"));
    let body = std::fs::read(&path).expect("the body file");
    println!("body: {} bytes, {runs} runs each (median)", body.len());
    println!("{:<8} {:>5} {:>9} {:>7} {:>10}", "encoding", "level", "bytes", "ratio", "time");
    type Encode = fn(&[u8], u32) -> Vec<u8>;
    let encodings: [(&str, Encode); 3] = [("gzip", gzip), ("br", brotli), ("zstd", zstd)];
    for (name, encode) in encodings {
        for level in [4, 6, 9] {
            let mut times: Vec<Duration> = (0..runs)
                .map(|_| {
                    let started = Instant::now();
                    std::hint::black_box(encode(std::hint::black_box(&body), level));
                    started.elapsed()
                })
                .collect();
            times.sort_unstable();
            let size = encode(&body, level).len();
            let ratio = body.len() as f64 / size as f64;
            println!("{name:<8} {level:>5} {size:>9} {ratio:>6.1}x {:>8.0} µs", times[runs / 2].as_secs_f64() * 1e6);
        }
    }
}
