using Faas.AppHost.Model;
using Npgsql;

namespace Faas.AppHost.Postgres;

/// <summary>Creates the Faas database on a fresh server (the services migrate its schema themselves).</summary>
internal static class PostgresDatabase
{
    public static async Task EnsureExistsAsync(PostgresResourceDefinition definition, CancellationToken cancellationToken)
    {
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = EndpointDefinition.Host,
            Port = definition.Port,
            Username = PostgresResourceDefinition.UserName,
            Database = "postgres",
            Pooling = false,
            Timeout = 10,
        };

        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken);

        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", definition.DatabaseName);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        var quoted = "\"" + definition.DatabaseName.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        await using var create = new NpgsqlCommand($"CREATE DATABASE {quoted}", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }
}
