//! A few workspace connections shared by the handlers; each query runs on a blocking thread.

use crate::ApiError;
use palabre_store::{StoreError, Workspace};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Workspace connections, taken in turn.
#[derive(Clone)]
pub struct Pool {
    conns: Arc<Vec<Mutex<Workspace>>>,
    next: Arc<AtomicUsize>,
}

impl Pool {
    /// Opens `size` connections to the store at `location` (migrating it first).
    pub fn open(location: &str, size: usize) -> Result<Pool, StoreError> {
        let mut conns = Vec::with_capacity(size.max(1));
        for _ in 0..size.max(1) {
            conns.push(Mutex::new(Workspace::open(location)?));
        }
        Ok(Pool::from_connections(
            conns
                .into_iter()
                .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
                .collect(),
        ))
    }

    /// A pool over connections already open (PostgreSQL schemas in tests).
    pub fn from_connections(conns: Vec<Workspace>) -> Pool {
        Pool {
            conns: Arc::new(conns.into_iter().map(Mutex::new).collect()),
            next: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Runs `f` on a connection, on a blocking thread.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Workspace) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let conns = self.conns.clone();
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(move || {
            // A free connection if there is one, else wait for ours.
            let n = conns.len();
            let guard = (0..n)
                .find_map(|i| conns[(start + i) % n].try_lock().ok())
                .map_or_else(|| conns[start % n].lock(), Ok);
            let mut ws =
                guard.map_err(|_| StoreError::Corrupt("a connection was poisoned".into()))?;
            f(&mut ws)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
        .map_err(ApiError::from)
    }
}
