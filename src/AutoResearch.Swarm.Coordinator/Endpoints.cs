using AutoResearch.Swarm.Protocol;
using AutoResearch.Swarm.Protocol.Messages;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AutoResearch.Swarm.Coordinator;

/// <summary>
/// The HTTP surface, version 1. Signed (POST): register, leases, claims, verifications, measurements, experiments. Public (GET): project, head,
/// chain, claims/{id}, experiments (the shared log), leaderboard, workers, health. The dashboard reads the public ones.
/// </summary>
internal static class Endpoints
{
    public static void Map(IEndpointRouteBuilder app, Coordinator coordinator)
    {
        var v1 = app.MapGroup(ProtocolVersion.Prefix).AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (Refusal refusal)
            {
                // A rule said no: the worker gets the reason and what to do, as ProblemDetails.
                return Results.Problem(detail: refusal.Message, statusCode: refusal.Status, title: refusal.Title,
                    extensions: refusal.Field is { } field ? new Dictionary<string, object?> { ["field"] = field } : null);
            }
        });

        v1.MapPost("/register", (HttpContext http, RegisterRequest request, CancellationToken ct) =>
            coordinator.RegisterAsync((string)http.Items[RequestGate.KeyItem]!, request, ct));
        v1.MapPost("/leases", (HttpContext http, LeaseRequest request, CancellationToken ct) => coordinator.LeaseAsync(Caller(http), request, ct));
        v1.MapPost("/claims", (HttpContext http, ClaimRequest request, CancellationToken ct) => coordinator.ClaimAsync(Caller(http), request, ct));
        v1.MapPost("/verifications", (HttpContext http, VerificationReport report, CancellationToken ct) =>
            coordinator.ReportVerificationAsync(Caller(http), report, ct));
        v1.MapPost("/measurements", (HttpContext http, MeasurementReport report, CancellationToken ct) =>
            coordinator.ReportMeasurementAsync(Caller(http), report, ct));
        v1.MapPost("/experiments", (HttpContext http, ExperimentReport report, CancellationToken ct) =>
            coordinator.ReportExperimentAsync(Caller(http), report, ct));

        v1.MapGet("/project", async (CancellationToken ct) => coordinator.ProjectInfo(await coordinator.SigmaAsync(ct).ConfigureAwait(false)));
        v1.MapGet("/head", (CancellationToken ct) => coordinator.HeadAsync(ct));
        v1.MapGet("/chain", (long? after, int? limit, CancellationToken ct) => coordinator.ChainAsync(after ?? 0, limit ?? 100, ct));
        v1.MapGet("/claims/{id:long}", (long id, CancellationToken ct) => coordinator.ClaimStatusAsync(id, ct));
        v1.MapGet("/experiments", (long? after, int? limit, CancellationToken ct) => coordinator.ExperimentsAsync(after ?? 0, limit ?? 100, ct));
        v1.MapGet("/leaderboard", (int? offset, int? limit, CancellationToken ct) => coordinator.LeaderboardAsync(offset ?? 0, limit ?? 100, ct));
        v1.MapGet("/workers", (int? limit, CancellationToken ct) => coordinator.WorkersAsync(limit ?? 100, ct));
        v1.MapGet("/health", (CancellationToken ct) => coordinator.HealthAsync(ct));
    }

    private static Caller Caller(HttpContext http) => (Caller)http.Items[RequestGate.CallerItem]!;
}
