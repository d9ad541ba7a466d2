namespace DpBert.EarlyExit;

/// <summary>The early-exit baselines.</summary>
public enum EarlyExitMethod
{
    /// <summary>
    /// DeeBERT (Xin et al., 2020): an exit head (own pooler + linear) after every layer but the last, trained
    /// with the backbone frozen; an input exits at the first layer whose prediction entropy is below S.
    /// </summary>
    DeeBert,
    /// <summary>
    /// PABEE (Zhou et al., 2020): a linear head after every layer on the shared pooler, trained jointly with the
    /// backbone (loss of layer j weighted by j); an input exits once its prediction has stayed the same for
    /// <c>patience</c> consecutive layers.
    /// </summary>
    Pabee,
}
