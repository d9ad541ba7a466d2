namespace DpBert.Training;

/// <summary>The learning-rate schedules of Hugging Face <c>transformers</c> that <see cref="LearningRateSchedule"/> implements.</summary>
public enum LearningRateScheduleKind
{
    /// <summary><c>linear</c>: linear warm-up from 0, then linear decay to 0 at the last step (<c>get_linear_schedule_with_warmup</c>).</summary>
    Linear,
    /// <summary><c>constant</c>: factor 1 throughout; warm-up is ignored (<c>get_constant_schedule</c>).</summary>
    Constant,
    /// <summary><c>constant_with_warmup</c>: linear warm-up from 0, then 1 (<c>get_constant_schedule_with_warmup</c>).</summary>
    ConstantWithWarmup,
    /// <summary><c>cosine</c>: linear warm-up, then half a cosine period down to 0 (<c>get_cosine_schedule_with_warmup</c>, <c>num_cycles=0.5</c>).</summary>
    Cosine,
}
