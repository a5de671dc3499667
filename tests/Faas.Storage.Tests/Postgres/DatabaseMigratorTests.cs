using Faas.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Faas.Storage.Tests.Postgres;

[Collection(StorageCollection.Name)]
[Trait("Category", "Integration")]
public sealed class DatabaseMigratorTests(StorageFixture fixture)
{
    private static readonly string[] SchemaTables =
        ["api_keys", "artifacts", "build_outputs", "builds", "dead_letters", "executions", "function_logs", "function_versions", "functions", "precompiled_artifacts", "schemaversions", "sink_credentials", "tenants", "users"];

    /// <summary>Each script is applied once, whoever applies it.</summary>
    private static readonly long MigrationScripts =
        typeof(DatabaseMigrator).Assembly.GetManifestResourceNames().Count(name => name.Contains(".Migrations.", StringComparison.Ordinal));

    [Fact]
    public async Task Migrating_an_up_to_date_database_again_changes_nothing()
    {
        var scriptsBefore = await fixture.ScalarAsync<long>("SELECT count(*) FROM schemaversions");

        await Migrator(fixture.DataSource).MigrateAsync(CancellationToken.None);

        Assert.Equal(scriptsBefore, await fixture.ScalarAsync<long>("SELECT count(*) FROM schemaversions"));
        Assert.Equal(1L, await fixture.ScalarAsync<long>("SELECT count(*) FROM tenants WHERE name = 'default'"));
    }

    [Fact]
    public async Task Two_migrators_at_once_on_an_empty_database_leave_one_schema()
    {
        await using var database = await ScratchDatabase.CreateAsync(fixture.DataSource);
        await using var first = NpgsqlDataSource.Create(database.ConnectionString);
        await using var second = NpgsqlDataSource.Create(database.ConnectionString);

        await Task.WhenAll(
            Task.Run(() => Migrator(first).MigrateAsync(CancellationToken.None)),
            Task.Run(() => Migrator(second).MigrateAsync(CancellationToken.None)));

        Assert.Equal(SchemaTables, await TablesAsync(first));
        Assert.Equal(MigrationScripts, await ScalarAsync<long>(first, "SELECT count(*) FROM schemaversions"));
        Assert.Equal(1L, await ScalarAsync<long>(first, "SELECT count(*) FROM tenants"));
    }

    [Fact]
    public async Task The_lock_is_released_after_a_migration()
    {
        await using var database = await ScratchDatabase.CreateAsync(fixture.DataSource);
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);

        await Migrator(dataSource).MigrateAsync(CancellationToken.None);

        Assert.Equal(0L, await ScalarAsync<long>(dataSource, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"));
    }

    [Fact]
    public async Task A_server_that_requires_a_password_is_migrated_with_the_data_source_credentials()
    {
        await using var login = await PasswordLogin.CreateAsync(fixture.DataSource);
        await using var database = await ScratchDatabase.CreateAsync(fixture.DataSource, owner: login.Role);
        var connectionString = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = login.Role, Password = login.Password };
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        await Migrator(dataSource).MigrateAsync(CancellationToken.None);

        Assert.Equal(SchemaTables, await TablesAsync(dataSource));
    }

    private static DatabaseMigrator Migrator(NpgsqlDataSource dataSource) => new(dataSource, NullLogger<DatabaseMigrator>.Instance);

    private static async Task<string[]> TablesAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
        await using var reader = await command.ExecuteReaderAsync();
        var tables = new List<string>();
        while (await reader.ReadAsync())
        {
            tables.Add(reader.GetString(0));
        }

        return [.. tables];
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>An empty database on the same server, dropped at dispose.</summary>
    private sealed class ScratchDatabase(NpgsqlDataSource server, string name, string connectionString) : IAsyncDisposable
    {
        public string ConnectionString { get; } = connectionString;

        public static async Task<ScratchDatabase> CreateAsync(NpgsqlDataSource server, string owner = "postgres")
        {
            var name = "faas_scratch_" + Guid.NewGuid().ToString("N")[..12];
            await using (var create = server.CreateCommand($"CREATE DATABASE {name} OWNER {owner}"))
            {
                await create.ExecuteNonQueryAsync();
            }

            var builder = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = name };
            return new ScratchDatabase(server, name, builder.ConnectionString);
        }

        public async ValueTask DisposeAsync()
        {
            await using var drop = server.CreateCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }
    }

    /// <summary>
    /// A role that must log in with its password over TCP (a rule ahead of the server's "trust" rules in
    /// pg_hba.conf, in force before this returns); the rule and the role go at dispose.
    /// </summary>
    private sealed class PasswordLogin(NpgsqlDataSource server, string hbaFile, string originalRules, string role) : IAsyncDisposable
    {
        public string Role { get; } = role;

        public string Password { get; } = Guid.NewGuid().ToString("N");

        public static async Task<PasswordLogin> CreateAsync(NpgsqlDataSource server)
        {
            var role = "faas_password_" + Guid.NewGuid().ToString("N")[..12];
            var hbaFile = await ScalarAsync<string>(server, "SHOW hba_file");
            var originalRules = await File.ReadAllTextAsync(hbaFile);
            var login = new PasswordLogin(server, hbaFile, originalRules, role);
            await ExecuteAsync(server, $"CREATE ROLE {role} LOGIN PASSWORD '{login.Password}'");
            await File.WriteAllTextAsync(hbaFile, $"host all {role} all scram-sha-256{Environment.NewLine}{originalRules}");
            await ExecuteAsync(server, "SELECT pg_reload_conf()");

            var withoutPassword = new NpgsqlConnectionStringBuilder(server.ConnectionString) { Username = role, Pooling = false }.ConnectionString;
            await Eventually.HoldsAsync(async () => !await CanConnectAsync(withoutPassword), "the server to ask the role for a password");
            return login;
        }

        public async ValueTask DisposeAsync()
        {
            await File.WriteAllTextAsync(hbaFile, originalRules);
            await ExecuteAsync(server, "SELECT pg_reload_conf()");
            await ExecuteAsync(server, $"DROP ROLE IF EXISTS {Role}");
        }

        private static async Task<bool> CanConnectAsync(string connectionString)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync();
                return true;
            }
            catch (NpgsqlException)
            {
                return false;
            }
        }

        private static async Task ExecuteAsync(NpgsqlDataSource server, string sql)
        {
            await using var command = server.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }
    }
}
