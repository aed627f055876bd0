//! Giving freed memory back to the system. glibc's allocator keeps what a thread freed in that
//! thread's arena, so after a bulk removal (the node's expired payment records, say) the
//! process's RSS stays at its peak although the memory is free; `malloc_trim` returns the free
//! pages of every arena. Elsewhere (another libc or OS) it does nothing.

/// Returns free heap memory to the system (glibc on Linux); a few milliseconds.
pub fn return_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim has no preconditions; it only releases pages the allocator holds free.
    unsafe {
        libc::malloc_trim(0);
    }
}
