using DpBert.Tensors;

namespace DpBert.Bert;

/// <summary>
/// One form derived from a <see cref="ParameterSet"/> (packed, quantised, stacked weights): built on first use and
/// rebuilt, in place when the builder can, whenever <see cref="ParameterSet.Version"/> has moved on since.
/// </summary>
internal sealed class ParameterDerivedCache<TOwner, T> where T : class
{
    private readonly Func<TOwner, T?, T> _build;
    private readonly string _profileName;
    private T? _value;
    private int _version = -1;

    /// <param name="build">Makes the form from the owner's parameters; receives the previous form (null the first time) to refill. Static, so no call allocates.</param>
    /// <param name="profileName">The <see cref="OpProfile"/> name the building time is counted under.</param>
    public ParameterDerivedCache(Func<TOwner, T?, T> build, string profileName)
    {
        _build = build;
        _profileName = profileName;
    }

    /// <summary>The form for the parameters at <paramref name="version"/>, rebuilt first when it was made for another version.</summary>
    public T Get(TOwner owner, int version)
    {
        if (_value is null || _version != version)
        {
            using var profile = OpProfile.Measure(_profileName);
            _value = _build(owner, _value);
            _version = version;
        }
        return _value;
    }
}
