namespace Faas.Storage.Tests.Queues;

/// <summary>The queue contract against Garnet, the embedded default (from the shared storage fixture).</summary>
[Collection(StorageCollection.Name)]
public sealed class GarnetReliableQueueTests(StorageFixture fixture) : ReliableQueueContract(fixture.RedisConnectionString);
