using System.Net;

namespace DpBert.Checkpoints;

/// <summary>The hub refused a request or could not be reached; the message names the repository, file and URL.</summary>
public sealed class HubException : IOException
{
    /// <summary>Creates the exception.</summary>
    public HubException(string message, HttpStatusCode? statusCode = null, Exception? inner = null) : base(message, inner) => StatusCode = statusCode;

    /// <summary>The HTTP status of the failed request, when there was a response.</summary>
    public HttpStatusCode? StatusCode { get; }
}
