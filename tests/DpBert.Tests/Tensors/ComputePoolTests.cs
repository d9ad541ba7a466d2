using DpBert.Tensors;

namespace DpBert.Tests.Tensors;

/// <summary>The compute pool's contract: every index of every job runs exactly once, and a task's failure reaches the caller.</summary>
public class ComputePoolTests
{
    [Fact]
    public void Back_to_back_jobs_run_every_index_exactly_once()
    {
        // Jobs of 1..17 tasks in a row, as a forward pass issues them: a task claimed twice, or one left out, shows as a
        // count other than 1; a claim of one job paired with the next job's fields shows as a wrong job number.
        var work = new CountingWork();
        for (int job = 0; job < 3000; job++)
        {
            int count = 1 + job % 17;
            work.Start(job, count);
            ComputePool.Run(work, count);
            for (int i = 0; i < count; i++)
                Assert.True(work.Runs[i] == 1, $"job {job}: index {i} of {count} ran {work.Runs[i]} times");
            Assert.Equal(0, work.WrongJob);
        }
    }

    [Fact]
    public void A_failing_task_is_reported_and_the_next_job_runs()
    {
        var failing = new FailingWork();
        var e = Assert.Throws<AggregateException>(() => ComputePool.Run(failing, 8));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var work = new CountingWork();
        work.Start(1, 8);
        ComputePool.Run(work, 8);
        Assert.All(work.Runs.Take(8), r => Assert.Equal(1, r));
    }

    private sealed class CountingWork : ParallelWork
    {
        public readonly int[] Runs = new int[17];
        public int WrongJob;
        private int _job, _count;

        public void Start(int job, int count)
        {
            Array.Clear(Runs);
            (_job, _count) = (job, count);
        }

        public override void Execute(int index)
        {
            if (index >= _count) { Interlocked.Increment(ref WrongJob); return; }
            Interlocked.Increment(ref Runs[index]);
            Thread.SpinWait(50 * (_job % 3));   // tasks of a few lengths, so both threads claim
        }
    }

    private sealed class FailingWork : ParallelWork
    {
        public override void Execute(int index)
        {
            if (index == 5) throw new InvalidOperationException("task 5 fails");
        }
    }
}
