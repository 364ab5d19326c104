//! A few workspace connections shared by the handlers; each query runs on a blocking thread
//! with whichever connection is free first.

use crate::ApiError;
use palabre_store::{StoreError, Workspace};
use std::sync::{Arc, Condvar, Mutex};

/// Workspace connections: a request takes a free one, or waits for the next one given back.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<Shared>,
}

struct Shared {
    free: Mutex<Vec<Workspace>>,
    returned: Condvar,
}

/// A connection taken from the pool; given back when dropped.
struct Taken<'a> {
    shared: &'a Shared,
    ws: Option<Workspace>,
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if let (Some(ws), Ok(mut free)) = (self.ws.take(), self.shared.free.lock()) {
            free.push(ws);
            self.shared.returned.notify_one();
        }
    }
}

impl Pool {
    /// Opens `size` connections to the store at `location` (migrating it first).
    pub fn open(location: &str, size: usize) -> Result<Pool, StoreError> {
        let conns = (0..size.max(1))
            .map(|_| Workspace::open(location))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Pool::from_connections(conns))
    }

    /// A pool over connections already open (PostgreSQL schemas in tests).
    pub fn from_connections(conns: Vec<Workspace>) -> Pool {
        Pool {
            shared: Arc::new(Shared {
                free: Mutex::new(conns),
                returned: Condvar::new(),
            }),
        }
    }

    /// Runs `f` on a free connection, on a blocking thread.
    pub async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Workspace) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let shared = self.shared.clone();
        tokio::task::spawn_blocking(move || {
            let poisoned = || StoreError::Corrupt("the connection pool was poisoned".into());
            let mut free = shared.free.lock().map_err(|_| poisoned())?;
            let ws = loop {
                match free.pop() {
                    Some(ws) => break ws,
                    None => free = shared.returned.wait(free).map_err(|_| poisoned())?,
                }
            };
            drop(free);
            let mut taken = Taken {
                shared: &shared,
                ws: Some(ws),
            };
            match taken.ws.as_mut() {
                Some(ws) => f(ws),
                None => Err(poisoned()),
            }
        })
        .await
        .map_err(|e| ApiError::Internal(format!("worker failed: {e}")))?
        .map_err(ApiError::from)
    }
}
