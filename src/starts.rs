//! Start points. Uniform starts are a pure function of (seed, walker index,
//! region): a counter-based PCG hash in u32 arithmetic that
//! `shaders/starts.wgsl` implements bit for bit, so walker i starts at the
//! same point on every backend, in every chunk and every shard.

use std::path::Path;

use num_traits::Float;

use crate::error::{Error, Result, quoted};
use crate::problem::{Problem, Region, Starts};
use crate::surface::MAX_DIM;

/// PCG-style integer hash (Jarzynski & Olano 2020, "Hash Functions for GPU
/// Rendering"). Twin: `pcg_hash` in shaders/starts.wgsl.
#[inline(always)]
pub fn pcg_hash(v: u32) -> u32 {
    let state = v.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

/// The seed folded into one word per high half of the walker index.
/// Twin: `walker_key` in shaders/starts.wgsl.
#[inline(always)]
pub fn walker_key(seed: u64, index_hi: u32) -> u32 {
    pcg_hash(seed as u32 ^ pcg_hash((seed >> 32) as u32 ^ pcg_hash(index_hi)))
}

/// Independent-looking 32-bit words for walker `index`, one per
/// coordinate: each the hash of the one before. Twin: `walker_hash` in
/// shaders/starts.wgsl.
#[inline(always)]
pub fn walker_hashes(seed: u64, index: u64, out: &mut [u32]) {
    let key = walker_key(seed, (index >> 32) as u32);
    let mut h = index as u32;
    for slot in out {
        h = pcg_hash(h ^ key);
        *slot = h;
    }
}

/// The first two words of `walker_hashes` (a 2-D start).
pub fn walker_hash(seed: u64, index: u64) -> [u32; 2] {
    let mut h = [0; 2];
    walker_hashes(seed, index, &mut h);
    h
}

/// The top 24 bits of a hash as a float in [0, 1), exact in f32.
#[inline(always)]
pub fn unit_f32(h: u32) -> f32 {
    (h >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Uniform start in f64, from the same 24-bit fractions.
pub fn uniform_f64(seed: u64, index: u64, region: &Region) -> Vec<f64> {
    let mut h = [0u32; MAX_DIM];
    walker_hashes(seed, index, &mut h[..region.dim()]);
    region.axes.iter().zip(h).map(|(a, h)| a[0] + unit_f32(h) as f64 * (a[1] - a[0])).collect()
}

/// Walker index -> start point in the engine's float type. Uniform starts
/// in f32 are computed as the shader computes them; every other source is
/// computed in f64 and rounded once.
pub struct StartFn<'a, T> {
    problem: &'a Problem,
    origin: Vec<T>,
    width: Vec<T>,
}

impl<'a, T: Float> StartFn<'a, T> {
    /// The starts of `problem`'s walkers.
    pub fn new(problem: &'a Problem) -> Self {
        let t = |v: f64| T::from(v).expect("finite region");
        let r = &problem.region;
        StartFn {
            problem,
            origin: r.axes.iter().map(|a| t(a[0])).collect(),
            width: (0..r.dim()).map(|k| t(r.width(k))).collect(),
        }
    }

    /// The start of walker `index`, into `out` (one slot per dimension).
    #[inline(always)]
    pub fn point(&self, index: u64, out: &mut [T]) {
        let c = self.problem;
        match &c.starts {
            Starts::Uniform => {
                let mut h = [0u32; MAX_DIM];
                walker_hashes(c.seed, index, &mut h[..out.len()]);
                for (k, slot) in out.iter_mut().enumerate() {
                    let u = T::from(unit_f32(h[k])).expect("a fraction");
                    *slot = self.origin[k] + u * self.width[k];
                }
            }
            other => {
                for (slot, v) in out.iter_mut().zip(start_f64(other, &c.region, c.seed, index)) {
                    *slot = T::from(v).expect("finite start");
                }
            }
        }
    }

    /// The start of walker `index` as a vector.
    pub fn point_vec(&self, index: u64) -> Vec<T> {
        let mut p = vec![T::zero(); self.origin.len()];
        self.point(index, &mut p);
        p
    }
}

/// Start point of walker `index` in f64.
pub fn start_f64(starts: &Starts, region: &Region, seed: u64, index: u64) -> Vec<f64> {
    match starts {
        Starts::Uniform => uniform_f64(seed, index, region),
        Starts::Grid { cols, rows } => grid_point(index, *cols, *rows, region).to_vec(),
        Starts::Points { points, .. } => points[index as usize].clone(),
    }
}

/// A lattice "WxH" (cols x rows, each at least 1), as `--grid` and the
/// JSON `config.starts` ("grid WxH") write it.
pub fn parse_lattice(text: &str) -> Option<(u32, u32)> {
    let (w, h) = text.split_once(['x', 'X'])?;
    let (w, h): (u32, u32) = (w.trim().parse().ok()?, h.trim().parse().ok()?);
    (w > 0 && h > 0).then_some((w, h))
}

/// Centre of cell `index` of a `cols` x `rows` lattice over the (2-D)
/// region, row by row from the bottom left.
pub fn grid_point(index: u64, cols: u32, rows: u32, region: &Region) -> [f64; 2] {
    let col = (index % cols as u64) as f64;
    let row = (index / cols as u64) as f64;
    [
        region.x()[0] + (col + 0.5) * region.width(0) / cols as f64,
        region.y()[0] + (row + 0.5) * region.width(1) / rows as f64,
    ]
}

/// Longest record (a line, or lines joined by a quoted field) a starts file
/// may hold. A row of 16 coordinates is a few hundred bytes, even with the
/// other columns of an endpoints CSV fed back; 1 MiB is generous, and it
/// bounds what `/dev/zero` or a 200 MB header line can make the reader hold.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// Memory per start point beyond its coordinates: the `Vec` itself and the
/// allocator's header.
const POINT_OVERHEAD_BYTES: u64 = 24 + 16;

/// Memory the start points of one file may take: a quarter of what the
/// machine has available (`memory::available_bytes`). The run needs the
/// rest (chunks, clustering).
pub fn starts_memory_budget() -> u64 {
    crate::memory::available_bytes() / 4
}

/// Most rows a starts file of `dim` coordinates may give within `budget`
/// bytes (and never more than a run's walkers).
pub fn max_start_rows(dim: usize, budget: u64) -> u64 {
    (budget / (POINT_OVERHEAD_BYTES + 8 * dim as u64)).clamp(1, crate::problem::MAX_WALKERS)
}

/// A reader that fails once one CSV record (a line, or several joined by a
/// quoted field) passes `MAX_RECORD_BYTES`: the csv reader would otherwise
/// buffer a record however long it is. Quotes are followed as csv-core
/// reads them: a quote opens a field only at the field's start.
struct RecordLimit<R> {
    inner: R,
    /// Bytes since the current record began.
    len: usize,
    state: CsvState,
}

#[derive(Clone, Copy, PartialEq)]
enum CsvState {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: its end, or the first of two.
    QuoteInQuoted,
}

impl<R: std::io::Read> std::io::Read for RecordLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in &buf[..n] {
            let end_of_record = matches!(b, b'\n' | b'\r') && self.state != CsvState::Quoted;
            self.state = match (self.state, b) {
                (CsvState::Quoted, b'"') => CsvState::QuoteInQuoted,
                (CsvState::Quoted, _) => CsvState::Quoted,
                (CsvState::FieldStart, b'"') | (CsvState::QuoteInQuoted, b'"') => CsvState::Quoted,
                (_, b',' | b'\n' | b'\r') => CsvState::FieldStart,
                _ => CsvState::Unquoted,
            };
            self.len = if end_of_record { 0 } else { self.len + 1 };
            if self.len > MAX_RECORD_BYTES {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("a line longer than {} MiB: not a CSV of start points", MAX_RECORD_BYTES >> 20),
                ));
            }
        }
        Ok(n)
    }
}

/// Reads a CSV of start points with header `x,y`, or `x1,...,xD` for D
/// dimensions. Errors name the row (as numbered in the file, header = row 1)
/// and the column. The input is bounded: no record past `MAX_RECORD_BYTES`,
/// no more rows than `max_start_rows` for the machine's memory.
pub fn read_starts_file(path: &Path) -> Result<Vec<Vec<f64>>> {
    read_starts_file_within(path, starts_memory_budget())
}

/// `read_starts_file` with the points' memory bounded by `budget` bytes.
pub fn read_starts_file_within(path: &Path, budget: u64) -> Result<Vec<Vec<f64>>> {
    let fail = |message: String| Error::StartsFile { path: path.to_path_buf(), message };
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        return Err(fail("is a folder, not a CSV file".into()));
    }
    let limited = RecordLimit { inner: std::io::BufReader::new(file), len: 0, state: CsvState::FieldStart };
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(limited);
    let headers = reader.headers().map_err(|e| fail(format!("row 1: {}", csv_error_text(&e))))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let indexed: Vec<(usize, String)> =
        (1..=MAX_DIM).map_while(|k| column(&format!("x{k}")).map(|c| (c, format!("x{k}")))).collect();
    let columns = match (column("x"), column("y")) {
        (Some(ix), Some(iy)) => vec![(ix, "x".to_string()), (iy, "y".to_string())],
        _ if !indexed.is_empty() => indexed,
        _ => {
            // quoted() escapes what the file holds and cuts it short, so
            // the message stays one short line.
            return Err(fail(format!(
                "row 1: expected a header with columns x,y (or x1,x2,...), found {}",
                quoted(headers.iter().collect::<Vec<_>>().join(","))
            )));
        }
    };
    let max_rows = max_start_rows(columns.len(), budget);
    let mut points = Vec::new();
    for (k, record) in reader.records().enumerate() {
        let row = k + 2;
        let record = record.map_err(|e| fail(format!("row {row}: {}", csv_error_text(&e))))?;
        if points.len() as u64 >= max_rows {
            return Err(fail(format!(
                "row {row}: more than {max_rows} start points, more than {} MiB of memory can hold \
                 (a quarter of what is available): split the file, or use uniform starts",
                budget >> 20
            )));
        }
        let mut point = Vec::with_capacity(columns.len());
        for (col, name) in &columns {
            let text = record.get(*col).unwrap_or("");
            point.push(match text.parse::<f64>() {
                Ok(v) if v.is_finite() => v,
                _ => return Err(fail(format!("row {row}, column {name}: {} is not a finite number", quoted(text)))),
            });
        }
        points.push(point);
    }
    if points.is_empty() {
        return Err(fail("no rows after the header".into()));
    }
    Ok(points)
}

fn csv_error_text(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Io(io) => io.to_string(),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("expected {expected_len} fields, found {len}")
        }
        _ => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcg_hash_known_values() {
        // Reference values computed by hand from the published constants.
        assert_eq!(pcg_hash(0), 129_708_002);
        assert_ne!(pcg_hash(1), pcg_hash(2));
    }

    #[test]
    fn uniform_starts_cover_region_evenly() {
        let region = Region::cube(-2.0, 2.0, 2);
        let n = 200_000;
        let mut quadrants = [0u64; 4];
        for i in 0..n {
            let [x, y] = uniform_f64(7, i, &region)[..] else { unreachable!() };
            assert!((-2.0..2.0).contains(&x) && (-2.0..2.0).contains(&y));
            quadrants[(x >= 0.0) as usize * 2 + (y >= 0.0) as usize] += 1;
        }
        // Each quadrant holds a quarter within 4 standard errors (sd ~ 194).
        for q in quadrants {
            assert!((q as f64 - 50_000.0).abs() < 800.0, "{quadrants:?}");
        }
    }

    #[test]
    fn high_index_bits_change_the_start() {
        let a = walker_hash(1, 5);
        let b = walker_hash(1, 5 + (1 << 32));
        assert_ne!(a, b);
    }

    /// Found by `cargo fuzz run starts_file`: a quoted header holding a
    /// newline made the error message two lines long.
    #[test]
    fn errors_stay_one_line_whatever_the_file_holds() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("crash.csv");
        let crash = b"x,\x01!0,\x01!0,\".\n\x1a\n\x1a-\x01`";
        let cell = b"x,y\n\"1\n2\",3\n";
        for bytes in [&crash[..], &cell[..]] {
            std::fs::write(&path, bytes).unwrap();
            let e = read_starts_file(&path).unwrap_err().to_string();
            assert!(!e.contains('\n') && e.contains("row"), "{e}");
        }
    }

    #[test]
    fn records_past_the_limit_are_refused_and_quoted_lines_count_as_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        let long = "1".repeat(MAX_RECORD_BYTES + 1);
        // A quoted field's newlines do not end the record; a stray quote
        // inside an unquoted field opens nothing.
        let joined = format!("x,y,note\n0,0,\"{}\"\n", "a\n".repeat(MAX_RECORD_BYTES / 2 + 1));
        for text in [format!("x,y\n{long},1\n"), format!("{long}\n"), joined] {
            std::fs::write(&path, text).unwrap();
            let e = read_starts_file(&path).unwrap_err().to_string();
            assert!(e.contains("a line longer than 1 MiB") && e.len() < 200, "{e}");
        }
        let mut fine = String::from("x,y,note\n");
        // Over 1 MiB in all: the count starts again at each record.
        for k in 0..70_000 {
            fine += &format!("{k},1,5\"\n0,0,\"q\"\"\nr\"\n");
        }
        std::fs::write(&path, &fine).unwrap();
        assert!(fine.len() > MAX_RECORD_BYTES);
        assert_eq!(read_starts_file(&path).unwrap().len(), 140_000);
    }

    #[test]
    fn rows_are_bounded_by_the_memory_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.csv");
        std::fs::write(&path, "x,y\n1,2\n3,4\n5,6\n").unwrap();
        assert_eq!(max_start_rows(2, u64::MAX / 2), crate::problem::MAX_WALKERS);
        let budget = 2 * (POINT_OVERHEAD_BYTES + 16);
        assert_eq!(read_starts_file_within(&path, 3 * (POINT_OVERHEAD_BYTES + 16)).unwrap().len(), 3);
        let e = read_starts_file_within(&path, budget).unwrap_err().to_string();
        assert!(e.contains("row 4: more than 2 start points"), "{e}");
        assert!(starts_memory_budget() > 0);
    }

    #[test]
    fn grid_points_are_cell_centres() {
        let region = Region::xy([0.0, 4.0], [0.0, 2.0]);
        assert_eq!(grid_point(0, 4, 2, &region), [0.5, 0.5]);
        assert_eq!(grid_point(7, 4, 2, &region), [3.5, 1.5]);
    }
}
