//! Response compression: gzip, brotli or zstd, by the client's `Accept-Encoding`, for
//! bodies worth it (1 KiB and more). A layer compresses responses as they go out, at a
//! fast level (4: on the 69 KB storefront listing gzip 13.0x in 0.54 ms, brotli 14.9x
//! in 0.64 ms, zstd 13.8x in 0.1 ms). Answers from the response cache, the same bodies
//! sent again and again (that listing to every shopper), are compressed once per
//! encoding, at a denser level, and kept with the entry: a hit costs no compression.

use std::io::Write;

use axum::http::{HeaderMap, header};
use bytes::Bytes;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

/// The level of answers compressed once and sent many times. On the 69 KB storefront
/// listing (`bash bench/compression/run.sh`): gzip 13.4x in 1.0 ms, brotli 16.5x in
/// 1.4 ms, zstd 15.1x in 0.36 ms; level 9 gains under 6% more for up to 5x the time.
const DENSE: u32 = 6;

/// Smallest body worth compressing.
pub const MIN_BYTES: u16 = 1024;

/// The layer for everything not served from the response cache.
pub fn layer() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().quality(CompressionLevel::Precise(4)).compress_when(DefaultPredicate::new().and(SizeAbove::new(MIN_BYTES)))
}

/// An encoding we produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Zstd,
    Brotli,
    Gzip,
}

impl Encoding {
    const ALL: [Encoding; 3] = [Encoding::Zstd, Encoding::Brotli, Encoding::Gzip];

    pub fn token(self) -> &'static str {
        match self {
            Encoding::Zstd => "zstd",
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }

    /// Its slot among an entry's encoded copies.
    pub fn slot(self) -> usize {
        self as usize
    }

    /// The encoding `Accept-Encoding` prefers (highest q; on a tie zstd, then brotli,
    /// then gzip, the fastest to decode first); none if it allows none of them.
    pub fn choose(headers: &HeaderMap) -> Option<Encoding> {
        let accept = headers.get(header::ACCEPT_ENCODING)?.to_str().ok()?;
        let mut best: Option<(f32, Encoding)> = None;
        let mut star: Option<f32> = None;
        let mut named = Vec::new();
        for part in accept.split(',') {
            let mut fields = part.split(';');
            let token = fields.next().unwrap_or_default().trim().to_ascii_lowercase();
            let q = fields.filter_map(|f| f.trim().strip_prefix("q=").and_then(|v| v.trim().parse::<f32>().ok())).next().unwrap_or(1.0);
            if token == "*" {
                star = Some(q);
                continue;
            }
            if let Some(e) = Encoding::ALL.into_iter().find(|e| e.token() == token) {
                named.push((e, q));
            }
        }
        for e in Encoding::ALL {
            let q = named.iter().find(|(n, _)| *n == e).map(|(_, q)| *q).or(star).unwrap_or(0.0);
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, e));
            }
        }
        best.map(|(_, e)| e)
    }

    /// `body` encoded densely (for bodies sent many times).
    pub fn encode(self, body: &[u8]) -> Option<Bytes> {
        let out = match self {
            Encoding::Zstd => zstd::bulk::compress(body, DENSE as i32).ok()?,
            Encoding::Brotli => {
                let mut out = Vec::with_capacity(body.len() / 4);
                {
                    let mut writer = brotli::CompressorWriter::new(&mut out, 4096, DENSE, 22);
                    writer.write_all(body).ok()?;
                }
                out
            }
            Encoding::Gzip => {
                let mut writer = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::new(DENSE));
                writer.write_all(body).ok()?;
                writer.finish().ok()?
            }
        };
        Some(Bytes::from(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        h
    }

    #[test]
    fn chooses_by_quality_then_by_speed() {
        assert_eq!(Encoding::choose(&accept("gzip, deflate, br, zstd")), Some(Encoding::Zstd));
        assert_eq!(Encoding::choose(&accept("gzip, deflate, br")), Some(Encoding::Brotli));
        assert_eq!(Encoding::choose(&accept("gzip;q=1, br;q=0.5")), Some(Encoding::Gzip));
        assert_eq!(Encoding::choose(&accept("identity")), None);
        assert_eq!(Encoding::choose(&accept("br;q=0, gzip;q=0")), None);
        assert_eq!(Encoding::choose(&accept("*")), Some(Encoding::Zstd));
        assert_eq!(Encoding::choose(&accept("*;q=0.1, gzip")), Some(Encoding::Gzip));
        assert_eq!(Encoding::choose(&HeaderMap::new()), None);
    }

    #[test]
    fn every_encoding_round_trips() {
        let body = br#"{"data":{"products":{"edges":[{"node":{"name":"Merino crew"}}]}}}"#.repeat(50);
        for e in Encoding::ALL {
            let packed = e.encode(&body).unwrap();
            assert!(packed.len() < body.len() / 5, "{e:?}: {} of {}", packed.len(), body.len());
            let mut back = Vec::new();
            match e {
                Encoding::Zstd => back = zstd::bulk::decompress(&packed, body.len()).unwrap(),
                Encoding::Brotli => {
                    brotli::Decompressor::new(&packed[..], 4096).read_to_end(&mut back).unwrap();
                }
                Encoding::Gzip => {
                    flate2::read::GzDecoder::new(&packed[..]).read_to_end(&mut back).unwrap();
                }
            }
            assert_eq!(back, body, "{e:?}");
        }
    }
}
