//! Finding an adapter and opening a device: once per run.

use serde::Serialize;

use super::{MAX_CHUNK, WALKER_BYTES_2D, WORKGROUP_SIZE};
use crate::engine::DeviceInfo;
use crate::error::{Error, Result};

/// Which adapters a run accepts.
#[derive(Clone, Debug, PartialEq)]
pub enum AdapterChoice {
    /// Hardware first (discrete, integrated, virtual), then software.
    Any,
    /// Hardware only: `--backend auto` runs the CPU engine rather than a
    /// software rasteriser on the same cores.
    HardwareOnly,
    /// The adapter whose name contains this text (case-insensitive).
    Named(String),
}

/// One adapter, as `multistart devices` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct AdapterSummary {
    /// The adapter's name, as the driver reports it.
    pub name: String,
    /// The graphics API: Vulkan, Metal or Dx12.
    pub api: String,
    /// DiscreteGpu, IntegratedGpu, VirtualGpu, Cpu (a software rasteriser) or Other.
    pub device_type: String,
    /// The driver's name and version.
    pub driver: String,
    /// Largest storage buffer one binding can see, in bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Largest buffer, in bytes.
    pub max_buffer_size: u64,
    /// Most workgroups one dispatch can have along each dimension.
    pub max_compute_workgroups_per_dimension: u32,
    /// Walkers one chunk can hold under these limits.
    pub max_chunk_walkers: u64,
}

/// Vulkan, Metal and DX12: the backends this build has.
fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    desc.backends = wgpu::Backends::PRIMARY;
    wgpu::Instance::new(desc)
}

fn is_hardware(info: &wgpu::AdapterInfo) -> bool {
    matches!(
        info.device_type,
        wgpu::DeviceType::DiscreteGpu | wgpu::DeviceType::IntegratedGpu | wgpu::DeviceType::VirtualGpu
    )
}

fn type_rank(t: wgpu::DeviceType) -> u8 {
    match t {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Cpu => 3,
        wgpu::DeviceType::Other => 4,
    }
}

/// Walkers one chunk can hold: the storage binding, the buffer size and the
/// workgroup count per dimension all bound it.
fn chunk_limit(limits: &wgpu::Limits, walker_bytes: u64) -> u64 {
    let by_binding = limits.max_storage_buffer_binding_size / walker_bytes;
    let by_buffer = limits.max_buffer_size / walker_bytes;
    let by_groups = limits.max_compute_workgroups_per_dimension as u64 * WORKGROUP_SIZE as u64;
    by_binding.min(by_buffer).min(by_groups).min(MAX_CHUNK)
}

fn summary(adapter: &wgpu::Adapter) -> AdapterSummary {
    let info = adapter.get_info();
    let limits = adapter.limits();
    AdapterSummary {
        name: info.name.clone(),
        api: format!("{:?}", info.backend),
        device_type: format!("{:?}", info.device_type),
        driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_buffer_size: limits.max_buffer_size,
        max_compute_workgroups_per_dimension: limits.max_compute_workgroups_per_dimension,
        max_chunk_walkers: chunk_limit(&limits, WALKER_BYTES_2D),
    }
}

/// Every adapter wgpu can see.
pub fn list_adapters() -> Vec<AdapterSummary> {
    pollster::block_on(instance().enumerate_adapters(wgpu::Backends::PRIMARY)).iter().map(summary).collect()
}

/// Points XDG_RUNTIME_DIR, when it is unset (or not a folder), at a folder
/// private to this user, so Mesa's drivers do not warn about it.
///
/// # Safety
///
/// Sets an environment variable: no other thread may run, or be reading
/// the environment, while it does (call it first thing in `main`).
pub unsafe fn quiet_driver_runtime_dir() {
    let usable = std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| std::path::Path::new(&d).is_dir());
    if usable {
        return;
    }
    if let Some(dir) = private_runtime_dir() {
        // SAFETY: the caller promises that no other thread runs.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", dir) };
    }
}

/// A folder private to this user (mode 0700, owned by them) in the temp
/// folder, made if missing: one per user, reused by every run. None where
/// it cannot be made or someone else owns it, and off Unix.
fn private_runtime_dir() -> Option<std::path::PathBuf> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let uid = std::fs::metadata("/proc/self").ok()?.uid();
        let dir = std::env::temp_dir().join(format!("multistart-runtime-{uid}"));
        let _ = std::fs::create_dir(&dir);
        // Only a folder of ours, private to us, will do.
        let ours = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir() && m.uid() == uid);
        (ours && std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).is_ok()).then_some(dir)
    }
    #[cfg(not(unix))]
    None
}

/// An open device on the chosen adapter.
pub struct GpuContext {
    /// The adapter chosen.
    pub adapter: wgpu::Adapter,
    /// The device opened on it, with the adapter's own limits.
    pub device: wgpu::Device,
    /// The device's queue, for writes and dispatches.
    pub queue: wgpu::Queue,
}

impl GpuContext {
    /// Opens the best adapter `choice` accepts; `Error::NoAdapter` when none.
    pub fn new(choice: &AdapterChoice) -> Result<Self> {
        let mut adapters = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::PRIMARY));
        let names: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
        adapters.retain(|a| {
            let info = a.get_info();
            match choice {
                AdapterChoice::Any => true,
                AdapterChoice::HardwareOnly => is_hardware(&info),
                AdapterChoice::Named(text) => info.name.to_lowercase().contains(&text.to_lowercase()),
            }
        });
        adapters.sort_by_key(|a| type_rank(a.get_info().device_type));
        let Some(adapter) = adapters.into_iter().next() else {
            return Err(Error::NoAdapter(match choice {
                AdapterChoice::Named(text) => format!(
                    "no GPU adapter's name contains '{text}' (found: {}); see `multistart devices`",
                    if names.is_empty() { "none".to_string() } else { names.join(", ") }
                ),
                _ => "no GPU adapter found: install a Vulkan driver (on Debian without a GPU: \
                      apt-get install mesa-vulkan-drivers libvulkan1), or use --backend cpu"
                    .to_string(),
            }));
        };
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("multistart"),
            // Timestamps where the adapter has them: `bench` times the kernel by them.
            required_features: adapter.features() & wgpu::Features::TIMESTAMP_QUERY,
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| Error::Gpu(format!("could not open {}: {e}", adapter.get_info().name)))?;
        Ok(GpuContext { adapter, device, queue })
    }

    /// Most walkers of `walker_bytes` each that one chunk can hold.
    pub fn max_chunk(&self, walker_bytes: u64) -> u64 {
        chunk_limit(&self.device.limits(), walker_bytes)
    }

    /// Whether the adapter is a GPU (discrete, integrated or virtual), not software.
    pub fn is_hardware(&self) -> bool {
        is_hardware(&self.adapter.get_info())
    }

    /// The device as the report names it.
    pub fn device_info(&self) -> DeviceInfo {
        let s = summary(&self.adapter);
        DeviceInfo {
            backend: "gpu",
            name: s.name,
            api: s.api,
            driver: Some(format!("{}, {}", s.device_type, s.driver)),
            threads: None,
        }
    }
}
