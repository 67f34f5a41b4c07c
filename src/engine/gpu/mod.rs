//! The GPU engine: the whole descent loop runs in `shaders/descent.wgsl`,
//! one invocation per walker, `--steps-per-dispatch` steps per dispatch;
//! the host only writes parameters and reads endpoints back once per chunk.
//!
//! Layout follows wgpu's compute examples: `GpuContext` acquires the device
//! once per run; `GpuEngine` holds the pipeline and buffers, refilled per
//! chunk.

mod adapter;

pub use adapter::{AdapterChoice, AdapterSummary, GpuContext, list_adapters, quiet_driver_runtime_dir};

use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytemuck::{Pod, Zeroable};

use super::{DeviceInfo, Endpoint, Engine, Status, StepParams};
use crate::config::{Optimizer, RunConfig, Starts};
use crate::error::{Error, Result};
use crate::starts;
use crate::surface::Surface;

/// Invocations per workgroup: a multiple of NVIDIA's 32-wide warps and AMD's
/// 64-wide waves. On lavapipe the size does not matter: 1e6 walkers x 300
/// steps took 1.06 to 1.32 s of descent at 32, 64, 128 and 256 alike (three
/// runs each, the spread the same within and across sizes).
pub const WORKGROUP_SIZE: u32 = 64;
/// Walkers per chunk at most, whatever the limits allow: keeps the
/// host's endpoint buffer of one chunk near 100 MB.
pub const MAX_CHUNK: u64 = 1 << 22;
/// How long one wait for the GPU may take before it is called a hang.
pub const POLL_TIMEOUT: Duration = Duration::from_secs(120);

/// Uniform parameters. Twin: `Params` in shaders/descent.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct Params {
    pub lr: f32,
    pub tol2: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    pub damping: f32,
    pub seed_lo: u32,
    pub seed_hi: u32,
    pub base_lo: u32,
    pub base_hi: u32,
    pub count: u32,
    pub steps_now: u32,
    pub start_mode: u32,
    pub first_dispatch: u32,
    pub _pad: [u32; 2],
}

/// One walker's end as the GPU left it: `Walker` in shaders/descent.wgsl,
/// decoded (p, m and v are D floats each, then f, |grad f|, iterations,
/// status).
#[derive(Clone, Debug, PartialEq)]
pub struct GpuWalker {
    pub p: Vec<f32>,
    pub f: f32,
    pub grad_norm: f32,
    pub iterations: u32,
    pub status: u32,
}

/// 32-bit words per walker record in D dimensions.
const fn walker_words(dim: usize) -> u64 {
    3 * dim as u64 + 4
}

/// A walker record's fields: p (D words), then past m and v: f, |grad f|,
/// iterations, status. The one reader of the layout of `Walker`.
fn fields(words: &[u32], dim: usize) -> (impl Iterator<Item = f32> + '_, f32, f32, u32, u32) {
    let tail = &words[3 * dim..];
    let p = words[..dim].iter().map(|&w| f32::from_bits(w));
    (p, f32::from_bits(tail[0]), f32::from_bits(tail[1]), tail[2], tail[3])
}

fn decode(words: &[u32], dim: usize) -> GpuWalker {
    let (p, f, grad_norm, iterations, status) = fields(words, dim);
    GpuWalker { p: p.collect(), f, grad_norm, iterations, status }
}

/// Bytes of a 2-D walker record (what `multistart devices` sizes chunks by).
pub const WALKER_BYTES_2D: u64 = 4 * walker_words(2);

const START_UNIFORM: u32 = 0;
const START_BUFFER: u32 = 1;

/// The kernel for `surface` and `optimizer`: the dimension, the start hash,
/// the surface's snippet, the loop.
pub fn kernel_source(surface: &Surface, optimizer: Optimizer) -> String {
    let source = format!(
        "const WORKGROUP_SIZE: u32 = {WORKGROUP_SIZE}u;\nconst DIM: u32 = {}u;\nalias Point = array<f32, DIM>;\n\
         const OPTIMIZER: u32 = {}u;\n{}\n{}\n{}",
        surface.dim(),
        optimizer as u32,
        include_str!("../../../shaders/starts.wgsl"),
        surface.wgsl(),
        include_str!("../../../shaders/descent.wgsl"),
    );
    unroll_dimension_loops(&source, surface.dim())
}

/// Writes out every `for (var k = 0u; k < DIM; k++) { BODY }` as DIM copies
/// of `{ const k = 0u; BODY }`, `{ const k = 1u; BODY }`, ...: with constant
/// indices the per-dimension arrays can live in registers (lavapipe keeps
/// dynamically indexed arrays in memory: Rastrigin 5-D runs about 20% slower
/// without this).
fn unroll_dimension_loops(source: &str, dim: usize) -> String {
    let mut out = String::with_capacity(source.len() * 2);
    let mut rest = source;
    while let Some(at) = rest.find("for (var ") {
        let header_end = rest[at..].find('{').map(|k| at + k);
        let header = header_end.map(|end| &rest[at..end]);
        let var = header.and_then(|h| {
            let name = h["for (var ".len()..].split(' ').next()?;
            (h.trim_end() == format!("for (var {name} = 0u; {name} < DIM; {name}++)")).then_some(name)
        });
        let (Some(var), Some(open)) = (var, header_end) else {
            out.push_str(&rest[..at + 1]);
            rest = &rest[at + 1..];
            continue;
        };
        // The matching closing brace.
        let mut depth = 0;
        let close = rest[open..]
            .char_indices()
            .find(|&(_, c)| {
                depth += (c == '{') as i32 - (c == '}') as i32;
                depth == 0
            })
            .map(|(k, _)| open + k)
            .expect("balanced braces in the kernel");
        let body = unroll_dimension_loops(&rest[open + 1..close], dim);
        out.push_str(&rest[..at]);
        for k in 0..dim {
            out.push_str(&format!("{{ const {var} = {k}u;{body}}}"));
        }
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Buffers sized for one chunk, reused for every chunk.
struct Buffers {
    capacity: u64,
    params: wgpu::Buffer,
    walkers: wgpu::Buffer,
    starts: wgpu::Buffer,
    bounds: wgpu::Buffer,
    readback: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
}

pub struct GpuEngine {
    ctx: GpuContext,
    surface: Surface,
    /// The optimizer the pipeline is built for (a constant of the kernel).
    optimizer: Optimizer,
    pipeline: wgpu::ComputePipeline,
    buffers: Option<Buffers>,
    device_info: DeviceInfo,
    /// The first error the device reported outside an error scope.
    uncaptured: Arc<Mutex<Option<String>>>,
    /// Where the device has timestamp queries.
    timestamps: Option<Arc<Timestamps>>,
    /// The last `descend`'s GPU time by the timestamps: from its first
    /// dispatch's start to its last one's end, summed over its chunks.
    device_seconds: Option<f64>,
}

/// Two timestamps per run (the first dispatch's start, the last one's
/// end) and the buffers that bring them back.
struct Timestamps {
    queries: wgpu::QuerySet,
    resolved: wgpu::Buffer,
    readback: wgpu::Buffer,
    /// Nanoseconds per tick.
    period: f64,
}

impl Timestamps {
    fn new(device: &wgpu::Device, queue: &wgpu::Queue) -> Option<Self> {
        if !device.features().contains(wgpu::Features::TIMESTAMP_QUERY) {
            return None;
        }
        let buffer = |label, usage| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: 16,
                usage,
                mapped_at_creation: false,
            })
        };
        use wgpu::BufferUsages as U;
        Some(Timestamps {
            queries: device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("descent timestamps"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            }),
            resolved: buffer("timestamps", U::QUERY_RESOLVE | U::COPY_SRC),
            readback: buffer("timestamps readback", U::MAP_READ | U::COPY_DST),
            period: queue.get_timestamp_period() as f64,
        })
    }
}

impl GpuEngine {
    /// Builds the pipeline for `surface` (and gradient descent; another
    /// optimizer gets its pipeline when a run asks for it) on `ctx`'s device.
    pub fn new(ctx: GpuContext, surface: &Surface) -> Result<Self> {
        let device = &ctx.device;
        let uncaptured = Arc::new(Mutex::new(None));
        let sink = uncaptured.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            sink.lock().unwrap().get_or_insert_with(|| one_line(&e.to_string()));
        }));
        let lost = uncaptured.clone();
        device.set_device_lost_callback(move |reason, message| {
            if reason != wgpu::DeviceLostReason::Destroyed {
                lost.lock().unwrap().get_or_insert_with(|| format!("the GPU device was lost ({reason:?}): {message}"));
            }
        });
        let pipeline = build_pipeline(device, surface, Optimizer::Gd)?;
        let device_info = ctx.device_info();
        let timestamps = Timestamps::new(device, &ctx.queue).map(Arc::new);
        Ok(GpuEngine {
            ctx,
            surface: surface.clone(),
            optimizer: Optimizer::Gd,
            pipeline,
            buffers: None,
            device_info,
            uncaptured,
            timestamps,
            device_seconds: None,
        })
    }

    /// Times the dispatches by the GPU's clock (`device_seconds`): on by
    /// default where the device has timestamp queries, and off here.
    pub fn without_timestamps(mut self) -> Self {
        self.timestamps = None;
        self
    }

    /// Makes the pipeline `optimizer`'s (the buffers' bind group goes with it).
    fn use_optimizer(&mut self, optimizer: Optimizer) -> Result<()> {
        if optimizer != self.optimizer {
            self.pipeline = build_pipeline(&self.ctx.device, &self.surface, optimizer)?;
            self.optimizer = optimizer;
            self.buffers = None;
        }
        Ok(())
    }

    /// Most walkers one chunk can hold on this device.
    pub fn max_chunk(&self) -> u64 {
        self.ctx.max_chunk(4 * walker_words(self.surface.dim()))
    }

    fn walker_bytes(&self) -> u64 {
        4 * walker_words(self.surface.dim())
    }

    fn buffers(&mut self, walkers: u64) -> &Buffers {
        if self.buffers.as_ref().is_none_or(|b| b.capacity < walkers) {
            let (walker_bytes, dim) = (self.walker_bytes(), self.surface.dim() as u64);
            let device = &self.ctx.device;
            let storage = |label, size, usage| {
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size,
                    usage,
                    mapped_at_creation: false,
                })
            };
            use wgpu::BufferUsages as U;
            let params = storage("params", std::mem::size_of::<Params>() as u64, U::UNIFORM | U::COPY_DST);
            let walkers_buf = storage("walkers", walkers * walker_bytes, U::STORAGE | U::COPY_SRC);
            let starts = storage("starts", walkers * 4 * dim, U::STORAGE | U::COPY_DST);
            let bounds = storage("bounds", 16 * dim, U::STORAGE | U::COPY_DST);
            let readback = storage("readback", walkers * walker_bytes, U::MAP_READ | U::COPY_DST);
            let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("descent"),
                layout: &self.pipeline.get_bind_group_layout(0),
                entries: &[
                    wgpu::BindGroupEntry { binding: 0, resource: params.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 1, resource: walkers_buf.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 2, resource: starts.as_entire_binding() },
                    wgpu::BindGroupEntry { binding: 3, resource: bounds.as_entire_binding() },
                ],
            });
            self.buffers =
                Some(Buffers { capacity: walkers, params, walkers: walkers_buf, starts, bounds, readback, bind_group });
        }
        self.buffers.as_ref().expect("just made")
    }

    /// Runs `steps` steps (0 gives the start points) on walkers `range`, and
    /// returns the raw GPU records.
    pub fn run_raw(&mut self, config: &RunConfig, range: Range<u64>, steps: u32) -> Result<Vec<GpuWalker>> {
        let dim = self.surface.dim();
        Ok(self.run(config, range, steps, |_, words| decode(words, dim))?.0)
    }

    /// Runs `steps` steps on walkers `range` and reads each walker's record
    /// (its 32-bit words) back through `read(index, words)`; with the GPU
    /// seconds the dispatches took, where the device has timestamps.
    fn run<T>(
        &mut self,
        config: &RunConfig,
        range: Range<u64>,
        steps: u32,
        read: impl Fn(u64, &[u32]) -> T,
    ) -> Result<(Vec<T>, Option<f64>)> {
        self.use_optimizer(config.optimizer)?;
        let count = range.end - range.start;
        if count > self.max_chunk() {
            return Err(Error::Gpu(format!("chunk of {count} walkers is above this device's {}", self.max_chunk())));
        }
        let step = StepParams::<f32>::new(config);
        let region = &config.region;
        let dim = self.surface.dim();
        let walker_bytes = self.walker_bytes();
        // lo, hi, origin, width: twin of `bounds` in the shader.
        let mut bounds: Vec<f32> = [&step.lo[..dim], &step.hi[..dim]].concat();
        bounds.extend(region.axes.iter().map(|a| a[0] as f32));
        bounds.extend((0..dim).map(|k| region.width(k) as f32));
        let mut params = Params {
            lr: step.lr,
            tol2: step.tol2,
            beta1: step.beta1,
            beta2: step.beta2,
            eps: step.eps,
            damping: step.damping,
            seed_lo: config.seed as u32,
            seed_hi: (config.seed >> 32) as u32,
            base_lo: range.start as u32,
            base_hi: (range.start >> 32) as u32,
            count: count as u32,
            steps_now: 0,
            start_mode: START_UNIFORM,
            first_dispatch: 1,
            _pad: [0; 2],
        };
        let spd = config.steps_per_dispatch;
        let groups = (count as u32).div_ceil(WORKGROUP_SIZE);
        let queue = self.ctx.queue.clone();
        let device = self.ctx.device.clone();
        let timestamps = self.timestamps.clone();
        let pipeline = self.pipeline.clone();
        let uncaptured = self.uncaptured.clone();
        let b = self.buffers(count);
        queue.write_buffer(&b.bounds, 0, bytemuck::cast_slice(&bounds));
        if config.starts != Starts::Uniform {
            params.start_mode = START_BUFFER;
            let points: Vec<f32> = range
                .clone()
                .flat_map(|i| starts::start_f64(&config.starts, region, config.seed, i))
                .map(|v| v as f32)
                .collect();
            queue.write_buffer(&b.starts, 0, bytemuck::cast_slice(&points));
        }
        // One submission per dispatch: each sees its own `steps_now`.
        let timestamps = timestamps.as_deref();
        let mut done = 0;
        loop {
            params.steps_now = spd.min(steps - done);
            queue.write_buffer(&b.params, 0, bytemuck::bytes_of(&params));
            let mut encoder = device.create_command_encoder(&Default::default());
            let last = done + params.steps_now == steps;
            {
                // The first pass writes the start, the last the end; passes between, none.
                let timestamp_writes =
                    timestamps.filter(|_| done == 0 || last).map(|t| wgpu::ComputePassTimestampWrites {
                        query_set: &t.queries,
                        beginning_of_pass_write_index: (done == 0).then_some(0),
                        end_of_pass_write_index: last.then_some(1),
                    });
                let mut pass =
                    encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: None, timestamp_writes });
                pass.set_pipeline(&pipeline);
                pass.set_bind_group(0, &b.bind_group, &[]);
                pass.dispatch_workgroups(groups, 1, 1);
            }
            done += params.steps_now;
            if last {
                encoder.copy_buffer_to_buffer(&b.walkers, 0, &b.readback, 0, count * walker_bytes);
                if let Some(t) = timestamps {
                    encoder.resolve_query_set(&t.queries, 0..2, &t.resolved, 0);
                    encoder.copy_buffer_to_buffer(&t.resolved, 0, &t.readback, 0, 16);
                }
            }
            queue.submit([encoder.finish()]);
            params.first_dispatch = 0;
            if done == steps {
                break;
            }
        }
        let slice = b.readback.slice(0..count * walker_bytes);
        let (tx, rx) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        // Only where there are timestamps: a channel whose sender is never
        // moved into a callback would make the `recv` below wait for ever.
        let ticks = timestamps.map(|t| {
            let (tx, rx) = std::sync::mpsc::channel();
            t.readback.slice(..).map_async(wgpu::MapMode::Read, move |r| {
                let _ = tx.send(r);
            });
            (t, rx)
        });
        device.poll(wgpu::PollType::Wait { submission_index: None, timeout: Some(POLL_TIMEOUT) }).map_err(|e| {
            Error::Gpu(format!(
                "waiting for the GPU failed: {e} (a driver timeout or hang; try a smaller --steps-per-dispatch)"
            ))
        })?;
        take_error(&uncaptured)?;
        rx.recv()
            .map_err(|_| Error::Gpu("the GPU never answered the read-back".into()))?
            .map_err(|e| Error::Gpu(format!("reading endpoints back failed: {e}")))?;
        let out = {
            let view = slice.get_mapped_range().map_err(|e| Error::Gpu(e.to_string()))?;
            let records = bytemuck::cast_slice::<u8, u32>(&view).chunks(walker_words(dim) as usize);
            range.zip(records).map(|(index, words)| read(index, words)).collect()
        };
        b.readback.unmap();
        let seconds = match ticks {
            Some((t, rx)) if matches!(rx.recv(), Ok(Ok(()))) => {
                let view = t.readback.slice(..).get_mapped_range().map_err(|e| Error::Gpu(e.to_string()))?;
                let ticks: [u64; 2] = bytemuck::pod_read_unaligned(&view);
                drop(view);
                t.readback.unmap();
                Some(ticks[1].wrapping_sub(ticks[0]) as f64 * t.period * 1e-9)
            }
            _ => None,
        };
        Ok((out, seconds))
    }
}

/// Compiles the kernel for `surface` and `optimizer`.
fn build_pipeline(device: &wgpu::Device, surface: &Surface, optimizer: Optimizer) -> Result<wgpu::ComputePipeline> {
    let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("descent"),
        source: wgpu::ShaderSource::Wgsl(kernel_source(surface, optimizer).into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("descent"),
        layout: None,
        module: &module,
        entry_point: Some("descend"),
        compilation_options: Default::default(),
        cache: None,
    });
    if let Some(e) = pollster::block_on(scope.pop()) {
        return Err(Error::Gpu(format!("the descent kernel did not build: {}", one_line(&e.to_string()))));
    }
    Ok(pipeline)
}

/// Turns an error the device reported on its own into ours.
fn take_error(uncaptured: &Mutex<Option<String>>) -> Result<()> {
    match uncaptured.lock().unwrap().take() {
        Some(message) => Err(Error::Gpu(message)),
        None => Ok(()),
    }
}

impl Engine for GpuEngine {
    fn device(&self) -> &DeviceInfo {
        &self.device_info
    }

    fn preferred_chunk(&self) -> u64 {
        self.max_chunk()
    }

    fn descend(&mut self, config: &RunConfig, range: Range<u64>) -> Result<Vec<Endpoint>> {
        debug_assert_eq!(self.surface, config.surface);
        let mut out = Vec::with_capacity((range.end - range.start) as usize);
        let mut first = range.start;
        self.device_seconds = self.timestamps.as_ref().map(|_| 0.0);
        let dim = self.surface.dim();
        while first < range.end {
            let part = first..(first + self.max_chunk()).min(range.end);
            first = part.end;
            // Straight from the words to endpoints: no GpuWalker in between.
            let (endpoints, seconds) = self.run(config, part, config.steps, |index, words| {
                let (p, f, grad_norm, iterations, status) = fields(words, dim);
                Endpoint {
                    index,
                    point: p.map(f64::from).collect(),
                    f: f as f64,
                    grad_norm: grad_norm as f64,
                    iterations,
                    status: Status::from_u32(status),
                }
            })?;
            out.extend(endpoints);
            self.device_seconds = self.device_seconds.zip(seconds).map(|(a, b)| a + b);
        }
        Ok(out)
    }

    fn device_seconds(&self) -> Option<f64> {
        self.device_seconds
    }
}

/// wgpu's messages run over many lines; ours is one.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembled_kernels_pass_naga_validation() {
        for surface in Surface::all() {
            for optimizer in Optimizer::ALL {
                validate(&kernel_source(&surface, optimizer));
            }
        }
        // Generated kernels: every function and operator of the language.
        for text in [
            "x^2 + y^2",
            "abs(x - 1)^1.5 + log(2 + sin(y)) * sqrt(1 + x^2) - tan(x/4) / tanh(1 + y^2)",
            "x^-3 + cos(e*pi*y) + 2^x",
        ] {
            validate(&kernel_source(&Surface::formula(text).unwrap(), Optimizer::Newton));
        }
    }

    fn validate(source: &str) {
        let module = naga::front::wgsl::parse_str(source).unwrap_or_else(|e| panic!("{}", e.emit_to_string(source)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{}", e.emit_to_string(source)));
        assert!(module.entry_points.iter().any(|e| e.name == "descend"));
    }

    #[test]
    fn params_match_their_wgsl_size() {
        assert_eq!(std::mem::size_of::<Params>(), 64);
    }
}
