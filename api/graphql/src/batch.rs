//! Deterministic request-scoped batching for nested GraphQL fields.
//!
//! async-graphql's `DataLoader` starts each batch on a timer in a spawned task. On a
//! multi-threaded runtime that timer races the resolvers still enqueuing keys, so one
//! listing can split into dozens of statements. This batcher uses no timer: the first
//! caller of a wave becomes its leader, yields to the scheduler once (by then every
//! sibling resolver polled in the same pass has enqueued its keys), then loads the whole
//! wave in the request's own task. The number of statements depends only on the shape
//! of the query, never on timing or page size.
//!
//! It reuses async-graphql's [`Loader`] trait, so loaders are written the usual way.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use async_graphql::dataloader::Loader;
use tokio::sync::oneshot;

/// Keys per statement at most (keeps `IN (...)` lists within every backend's limits).
const MAX_BATCH: usize = 1000;

type Shared<K, V, E> = Result<Arc<HashMap<K, V>>, E>;

struct Wave<K, V, E> {
    keys: HashSet<K>,
    waiters: Vec<oneshot::Sender<Shared<K, V, E>>>,
    /// Someone is about to load this wave.
    led: bool,
}

impl<K, V, E> Default for Wave<K, V, E> {
    fn default() -> Self {
        Wave { keys: HashSet::new(), waiters: Vec::new(), led: false }
    }
}

/// Batches loads of any key type `K` for which `L: Loader<K>`.
pub struct Batcher<L> {
    loader: L,
    waves: Mutex<HashMap<TypeId, Box<dyn Any + Send>>>,
}

impl<L: Send + Sync + 'static> Batcher<L> {
    pub fn new(loader: L) -> Self {
        Batcher { loader, waves: Mutex::new(HashMap::new()) }
    }

    fn with_wave<K, R>(&self, f: impl FnOnce(&mut Wave<K, L::Value, L::Error>) -> R) -> R
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        L: Loader<K>,
    {
        // A poisoned lock means a panic elsewhere mid-update; the map itself is intact.
        let mut waves = self.waves.lock().unwrap_or_else(|e| e.into_inner());
        let wave = waves
            .entry(TypeId::of::<K>())
            .or_insert_with(|| Box::new(Wave::<K, L::Value, L::Error>::default()))
            .downcast_mut::<Wave<K, L::Value, L::Error>>()
            .expect("one wave type per key type");
        f(wave)
    }

    pub async fn load_one<K>(&self, key: K) -> Result<Option<L::Value>, L::Error>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        L: Loader<K>,
    {
        let mut found = self.load_many(std::iter::once(key.clone())).await?;
        Ok(found.remove(&key))
    }

    pub async fn load_many<K, I>(&self, keys: I) -> Result<HashMap<K, L::Value>, L::Error>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        I: IntoIterator<Item = K>,
        L: Loader<K>,
    {
        let wanted: Vec<K> = keys.into_iter().collect();
        if wanted.is_empty() {
            return Ok(HashMap::new());
        }
        loop {
            let (rx, lead) = self.with_wave::<K, _>(|wave| {
                wave.keys.extend(wanted.iter().cloned());
                let (tx, rx) = oneshot::channel();
                wave.waiters.push(tx);
                let lead = !wave.led;
                wave.led = true;
                (rx, lead)
            });
            if lead {
                let mut guard = LeaderGuard::<L, K> { batcher: self, armed: true, _key: std::marker::PhantomData };
                // Let every sibling resolver of this poll pass enqueue its keys first.
                tokio::task::yield_now().await;
                let wave = self.with_wave::<K, _>(std::mem::take);
                guard.armed = false;
                let result = self.load_wave(wave.keys).await;
                for waiter in wave.waiters {
                    let _ = waiter.send(result.clone());
                }
            }
            // Unconstrained: tokio's cooperative budget would otherwise answer `Pending`
            // for an answer that is ready once a request has polled ~128 resources in
            // one pass; the waiters held back would miss the next wave their siblings
            // start, splitting it into several statements.
            match tokio::task::unconstrained(rx).await {
                Ok(Ok(map)) => return Ok(wanted.iter().filter_map(|k| map.get(k).map(|v| (k.clone(), v.clone()))).collect()),
                Ok(Err(e)) => return Err(e),
                // The leader was dropped before answering (its request was cancelled):
                // enqueue again and let a new leader load.
                Err(_) => continue,
            }
        }
    }

    /// Loads `keys` (distinct) now, in one call per [`MAX_BATCH`], without joining a
    /// wave: for a caller that holds every key at once (a list preloading what its items
    /// show), which has no siblings to wait for, nor a reason to hash its keys into a
    /// wave and its answer back out of it.
    pub async fn load_all<K>(&self, keys: &[K]) -> Result<HashMap<K, L::Value>, L::Error>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        L: Loader<K>,
    {
        match keys.len() {
            0 => Ok(HashMap::new()),
            n if n <= MAX_BATCH => self.loader.load(keys).await,
            _ => {
                let mut all = HashMap::with_capacity(keys.len());
                for chunk in keys.chunks(MAX_BATCH) {
                    all.extend(self.loader.load(chunk).await?);
                }
                Ok(all)
            }
        }
    }

    async fn load_wave<K>(&self, keys: HashSet<K>) -> Shared<K, L::Value, L::Error>
    where
        K: Send + Sync + Hash + Eq + Clone + 'static,
        L: Loader<K>,
    {
        let keys: Vec<K> = keys.into_iter().collect();
        let mut all = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(MAX_BATCH) {
            all.extend(self.loader.load(chunk).await?);
        }
        Ok(Arc::new(all))
    }
}

/// Releases the wave if its leader is dropped before taking it, so the waiters
/// (who then see their channel closed) elect a new leader instead of hanging.
struct LeaderGuard<'a, L: Send + Sync + 'static, K: 'static> {
    batcher: &'a Batcher<L>,
    armed: bool,
    _key: std::marker::PhantomData<K>,
}

impl<L, K: 'static> Drop for LeaderGuard<'_, L, K>
where
    L: Send + Sync + 'static,
{
    fn drop(&mut self) {
        if self.armed {
            let mut waves = self.batcher.waves.lock().unwrap_or_else(|e| e.into_inner());
            // Dropping the wave's senders wakes its waiters with an error; they retry.
            waves.remove(&TypeId::of::<K>());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct Doubler {
        calls: AtomicUsize,
        /// Every key each call was asked for.
        asked: Mutex<Vec<u32>>,
    }

    impl Loader<u32> for Doubler {
        type Value = u32;
        type Error = String;
        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, String> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            self.asked.lock().unwrap().extend_from_slice(keys);
            Ok(keys.iter().map(|k| (*k, k * 2)).collect())
        }
    }

    /// A request's resolvers run in its one task; on a multi-threaded runtime the
    /// wake-ups may still come from other threads.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_wave_of_one_request_is_one_call_on_a_multi_threaded_runtime() {
        let batcher = Batcher::new(Doubler::default());
        let results = futures::future::join_all((0..500u32).map(|k| batcher.load_one(k))).await;
        assert!(results.iter().enumerate().all(|(k, r)| *r.as_ref().unwrap() == Some(k as u32 * 2)));
        assert_eq!(batcher.loader.calls.load(Ordering::SeqCst), 1);

        // A second wave is a second call.
        let again = futures::future::join_all((0..10u32).map(|k| batcher.load_one(k))).await;
        assert_eq!(again.len(), 10);
        assert_eq!(batcher.loader.calls.load(Ordering::SeqCst), 2);
    }

    /// Callers on several threads at once (not how requests use it, but nothing may
    /// break if they do): each gets its own answer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn callers_on_many_threads_each_get_their_answer() {
        let batcher = Arc::new(Batcher::new(Doubler::default()));
        let tasks: Vec<_> = (0..500u32)
            .map(|k| {
                let batcher = batcher.clone();
                tokio::spawn(async move { (k, batcher.load_one(k).await) })
            })
            .collect();
        for task in tasks {
            let (k, found) = task.await.unwrap();
            assert_eq!(found.unwrap(), Some(k * 2));
        }
        // However the waves fell, each key was loaded exactly once.
        let mut asked = batcher.loader.asked.lock().unwrap().clone();
        asked.sort_unstable();
        assert_eq!(asked, (0..500u32).collect::<Vec<_>>());
    }

    /// Loads `u32` keys, then `u64` keys: a wave whose keys come from another's answers.
    #[tokio::test]
    async fn load_all_calls_once_per_batch_of_keys() {
        let batcher = Batcher::new(Doubler::default());
        assert!(batcher.load_all::<u32>(&[]).await.unwrap().is_empty());
        assert_eq!(batcher.loader.calls.load(Ordering::SeqCst), 0, "no keys, no call");
        let keys: Vec<u32> = (0..2_500).collect();
        let found = batcher.load_all(&keys).await.unwrap();
        assert!(keys.iter().all(|k| found[k] == k * 2) && found.len() == keys.len());
        assert_eq!(batcher.loader.calls.load(Ordering::SeqCst), 3, "at most MAX_BATCH keys per call");
    }

    struct TwoKinds {
        calls: AtomicUsize,
    }

    impl Loader<u32> for TwoKinds {
        type Value = u64;
        type Error = String;
        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u64>, String> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(keys.iter().map(|k| (*k, u64::from(*k) * 2)).collect())
        }
    }

    impl Loader<u64> for TwoKinds {
        type Value = u64;
        type Error = String;
        async fn load(&self, keys: &[u64]) -> Result<HashMap<u64, u64>, String> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(keys.iter().map(|k| (*k, k + 1)).collect())
        }
    }

    #[tokio::test]
    async fn a_wave_started_by_the_answers_of_another_is_one_call() {
        // Few enough futures per level that `join_all` polls them all in order, and far
        // more waiters than tokio's per-poll budget of ready resources.
        let batcher = &Batcher::new(TwoKinds { calls: AtomicUsize::new(0) });
        let nested = (0..30u32).map(|k| async move {
            let inner = (0..10u32).map(|j| async move {
                let first: u64 = batcher.load_one(k * 10 + j).await.unwrap().unwrap();
                batcher.load_one(first).await.unwrap()
            });
            futures::future::join_all(inner).await
        });
        let got = futures::future::join_all(nested).await;
        assert_eq!(got.concat().len(), 300);
        assert_eq!(batcher.loader.calls.load(Ordering::SeqCst), 2, "one call per wave");
    }

    #[tokio::test]
    async fn a_dropped_leader_does_not_strand_its_wave() {
        let batcher = Batcher::new(Doubler::default());
        let mut leader = Box::pin(batcher.load_one(1));
        assert!(futures::poll!(&mut leader).is_pending(), "the leader yields before loading");
        let mut follower = Box::pin(batcher.load_one(2));
        assert!(futures::poll!(&mut follower).is_pending(), "the follower waits on the leader");
        drop(leader);
        let got = tokio::time::timeout(std::time::Duration::from_secs(2), follower).await.expect("no hang");
        assert_eq!(got.unwrap(), Some(4));
    }
}
