//! Running jobs on up to `available_parallelism` threads, each thread with
//! state of its own, and handing the results on in the jobs' order as soon
//! as each is due (a report streams while later jobs still run).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// Runs `work` on every job; `init(worker)` makes a thread's state (worker
/// 0 is the first thread); `on_result` gets the results in job order.
pub(crate) fn in_order<J: Sync, S, R: Send>(
    jobs: &[J],
    init: impl Fn(usize) -> S + Sync,
    work: impl Fn(&mut S, &J) -> R + Sync,
    mut on_result: impl FnMut(R),
) {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(jobs.len())
        .max(1);
    let next = AtomicUsize::new(0);
    let (send, receive) = mpsc::channel::<(usize, R)>();
    std::thread::scope(|scope| {
        for worker in 0..workers {
            let send = send.clone();
            let (next, init, work) = (&next, &init, &work);
            scope.spawn(move || {
                let mut state = init(worker);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else {
                        break;
                    };
                    if send.send((i, work(&mut state, job))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        // Results come in as they finish; they are handed on in order.
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (i, result) in receive {
            waiting.insert(i, result);
            while let Some(result) = waiting.remove(&due) {
                on_result(result);
                due += 1;
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_job_order_whatever_order_they_finish_in() {
        let jobs: Vec<u64> = (0..40).collect();
        let mut seen = Vec::new();
        in_order(
            &jobs,
            |worker| worker,
            |_, &job| {
                // Early jobs finish last.
                std::thread::sleep(std::time::Duration::from_millis(40 - job));
                job * 2
            },
            |r| seen.push(r),
        );
        assert_eq!(seen, jobs.iter().map(|j| j * 2).collect::<Vec<_>>());
    }

    #[test]
    fn no_jobs_is_no_results() {
        let mut seen = 0;
        in_order(&[] as &[u8], |_| (), |(), _| 1, |_| seen += 1);
        assert_eq!(seen, 0);
    }
}
