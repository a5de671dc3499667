// A test HTTP function. By default it answers 200 text/plain with every CGI variable it was given (NAME=VALUE, one per
// line), then a line "--body--" and the request body as it came. QUERY_STRING's "mode=" picks a misbehaviour or a
// particular answer instead.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static int mode(const char *name) {
    const char *query = getenv("QUERY_STRING");
    char wanted[64];
    snprintf(wanted, sizeof wanted, "mode=%s", name);
    if (!query) {
        return 0;
    }
    const char *at = strstr(query, wanted);
    return at && (at == query || at[-1] == '&') && (at[strlen(wanted)] == '\0' || at[strlen(wanted)] == '&');
}

int main(void) {
    if (mode("nothing")) {
        return 0;
    }
    if (mode("malformed")) {
        printf("this is not a header block\n");
        return 0;
    }
    if (mode("hop")) {
        printf("Content-Type: text/plain\r\nConnection: close\r\n\r\nhello");
        return 0;
    }
    if (mode("length")) {
        printf("Content-Type: text/plain\r\nContent-Length: 99\r\n\r\nhello");
        return 0;
    }
    if (mode("redirect")) {
        printf("Location: /elsewhere?x=1\r\n\r\n");
        return 0;
    }
    if (mode("created")) {
        printf("Status: 201 Created\r\nLocation: /items/7\r\nContent-Type: application/json\r\nX-Item: 7\r\n"
               "Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\n\r\n{\"id\":7}");
        return 0;
    }
    if (mode("teapot")) {
        printf("Status: 418 I'm a teapot\r\nContent-Type: text/plain\r\n\r\nshort and stout");
        return 0;
    }
    if (mode("sleep")) {
        sleep(3);
        printf("Content-Type: text/plain\r\n\r\nslept");
        return 0;
    }
    if (mode("fail")) {
        fprintf(stderr, "failing on purpose\n");
        return 3;
    }

    printf("Content-Type: text/plain; charset=utf-8\r\n\r\n");
    for (char **variable = environ; *variable; variable++) {
        printf("%s\n", *variable);
    }
    printf("--body--\n");
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
        fwrite(buffer, 1, n, stdout);
    }
    return 0;
}
