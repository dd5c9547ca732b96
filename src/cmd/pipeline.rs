//! Work on every core, results taken in order: each worker takes the next item as soon as it is
//! free (a large file does not hold up a worker that could read the next one), and the calling
//! thread takes the results in the items' order. At most `window` results are read and not yet
//! taken, which bounds the memory a batch of large files holds.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};

/// Runs `work` on each of `items` on `workers` threads and hands each item with its result to
/// `take` on this thread, in the items' order. `take` returning false stops the batch: no
/// further item is started, and results not yet taken are dropped.
pub fn in_order<T: Sync, R: Send>(items: &[T], workers: usize, window: usize, work: impl Fn(&T) -> R + Sync, mut take: impl FnMut(&T, R) -> bool) {
    let window = window.max(1);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    // How many results have been taken, and the signal that one was.
    let taken = (Mutex::new(0usize), Condvar::new());
    let (send, receive) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            let send = send.clone();
            let (next, stop, taken, work) = (&next, &stop, &taken, &work);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= items.len() {
                        return;
                    }
                    let mut done = taken.0.lock().unwrap_or_else(|p| p.into_inner());
                    while i >= *done + window && !stop.load(Ordering::Relaxed) {
                        done = taken.1.wait(done).unwrap_or_else(|p| p.into_inner());
                    }
                    drop(done);
                    if stop.load(Ordering::Relaxed) || send.send((i, work(&items[i]))).is_err() {
                        return;
                    }
                }
            });
        }
        drop(send);
        let mut waiting = BTreeMap::new();
        let mut expected = 0;
        'taking: for (i, r) in receive.iter() {
            waiting.insert(i, r);
            while let Some(r) = waiting.remove(&expected) {
                let item = &items[expected];
                expected += 1;
                *taken.0.lock().unwrap_or_else(|p| p.into_inner()) = expected;
                taken.1.notify_all();
                if !take(item, r) {
                    break 'taking;
                }
            }
        }
        // Stopped early (or a worker died): the others stop at their next item.
        stop.store(true, Ordering::Relaxed);
        taken.1.notify_all();
        drop(receive);
    });
}

/// Lowers the calling thread's scheduling priority a little (nice 5), for threads that read
/// ahead of one that stores: on a machine with fewer cores than busy threads, the storing thread,
/// which every file waits for, then gets a whole core when it has work.
pub fn read_ahead_priority() {
    #[cfg(target_os = "linux")]
    // SAFETY: setpriority with the calling thread's own id changes only that thread's nice value;
    // it takes no pointers. A failure (not allowed) leaves the priority as it was.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, libc::gettid() as libc::id_t, 5);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn results_come_in_order_however_long_each_takes() {
        let items: Vec<u64> = (0..40).collect();
        let mut got = Vec::new();
        // Early items take longest, so later ones finish first.
        in_order(
            &items,
            3,
            4,
            |&i| {
                std::thread::sleep(Duration::from_millis((40 - i) % 7));
                i * 10
            },
            |&i, r| {
                assert_eq!(r, i * 10, "each result with its item");
                got.push(r);
                true
            },
        );
        assert_eq!(got, items.iter().map(|i| i * 10).collect::<Vec<_>>());
    }

    #[test]
    fn no_more_than_the_window_is_read_ahead() {
        let items: Vec<usize> = (0..30).collect();
        let started = AtomicUsize::new(0);
        let mut taken = 0;
        let mut most_ahead = 0;
        in_order(
            &items,
            4,
            3,
            |&i| {
                started.fetch_max(i + 1, Ordering::SeqCst);
                i
            },
            |_, _| {
                taken += 1;
                std::thread::sleep(Duration::from_millis(2));
                // Started but not yet taken: at most the window, plus the one being taken.
                most_ahead = most_ahead.max(started.load(Ordering::SeqCst) - taken);
                true
            },
        );
        assert_eq!(taken, 30);
        assert!(most_ahead <= 3, "{most_ahead} read ahead");
    }

    #[test]
    fn a_stop_starts_nothing_more() {
        let items: Vec<usize> = (0..100).collect();
        let started = AtomicUsize::new(0);
        let mut got = Vec::new();
        in_order(
            &items,
            2,
            2,
            |&i| {
                started.fetch_add(1, Ordering::SeqCst);
                i
            },
            |_, r| {
                got.push(r);
                r < 5
            },
        );
        assert_eq!(got, vec![0, 1, 2, 3, 4, 5]);
        assert!(started.load(Ordering::SeqCst) <= 6 + 2, "{} started", started.load(Ordering::SeqCst));
    }
}
