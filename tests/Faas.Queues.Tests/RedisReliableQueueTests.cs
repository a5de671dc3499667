namespace Faas.Queues.Tests;

/// <summary>The queue contract against a real redis-server, used when ConnectionStrings:redis is given.</summary>
public sealed class RedisReliableQueueTests(RedisServerFixture server) : ReliableQueueContract(server.ConnectionString), IClassFixture<RedisServerFixture>;
