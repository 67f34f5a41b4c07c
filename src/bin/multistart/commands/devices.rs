//! `multistart devices`: the GPU adapters found.

use std::io::Write;

use multistart::engine::gpu;
use multistart::error::{Error, Result};
use multistart::report::thousands;

use super::*;

/// `multistart devices`: every adapter, with the limits that bound a chunk.
pub fn devices() -> Result<Completion> {
    let adapters = gpu::list_adapters();
    if adapters.is_empty() {
        return Err(Error::NoAdapter(
            "no GPU adapter found: install a Vulkan driver (on Debian without a GPU: apt-get install mesa-vulkan-drivers libvulkan1)".into(),
        ));
    }
    let mut out = std::io::stdout().lock();
    for (i, a) in adapters.iter().enumerate() {
        let _ = writeln!(
            out,
            "{i}: {}\n   api {}, type {}, driver {}\n   max storage binding {} MiB, max buffer {} MiB, \
             max workgroups per dimension {}: up to {} walkers per chunk",
            a.name,
            a.api,
            a.device_type,
            a.driver,
            a.max_storage_buffer_binding_size >> 20,
            a.max_buffer_size >> 20,
            a.max_compute_workgroups_per_dimension,
            thousands(a.max_chunk_walkers),
        );
    }
    Ok(Completion::Complete)
}
