// Start points: a counter-based PCG hash in u32 arithmetic.
// Mirrors src/starts.rs (`pcg_hash`, `walker_key`, `walker_hashes`, `unit_f32`) bit for bit;
// the per-coordinate chain of `walker_hashes` is in `start_point` (descent.wgsl).

fn pcg_hash(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

fn walker_key(seed_lo: u32, seed_hi: u32, index_hi: u32) -> u32 {
    return pcg_hash(seed_lo ^ pcg_hash(seed_hi ^ pcg_hash(index_hi)));
}

fn unit_f32(h: u32) -> f32 {
    return f32(h >> 8u) * (1.0 / 16777216.0);
}
