using Npgsql;

namespace Faas.Storage.Tests;

public sealed class DataSourceTests
{
    [Fact]
    public void Statements_run_often_are_prepared_unless_the_connection_string_says_otherwise()
    {
        using var defaults = StorageExtensions.CreateDataSource("Host=127.0.0.1;Username=faas;Database=faas");
        using var off = StorageExtensions.CreateDataSource("Host=127.0.0.1;Username=faas;Database=faas;Max Auto Prepare=0");
        using var other = StorageExtensions.CreateDataSource("Host=127.0.0.1;Username=faas;Database=faas;MaxAutoPrepare=8");

        Assert.Equal(64, new NpgsqlConnectionStringBuilder(defaults.ConnectionString).MaxAutoPrepare);
        Assert.Equal(0, new NpgsqlConnectionStringBuilder(off.ConnectionString).MaxAutoPrepare);
        Assert.Equal(8, new NpgsqlConnectionStringBuilder(other.ConnectionString).MaxAutoPrepare);
    }
}
