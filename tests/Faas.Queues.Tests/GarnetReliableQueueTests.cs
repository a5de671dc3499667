namespace Faas.Queues.Tests;

/// <summary>The queue contract against Garnet, the embedded default (from the shared Garnet fixture).</summary>
[Collection(GarnetCollection.Name)]
public sealed class GarnetReliableQueueTests(GarnetFixture garnet) : ReliableQueueContract(garnet.ConnectionString);
