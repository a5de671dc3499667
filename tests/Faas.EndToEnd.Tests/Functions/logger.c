// Writes its log for the log tests. stdin:
//   "big N"  N bytes of stderr in 100-byte lines, then "big done" on stdout;
//   "fail"   "about to fail" on stderr, exit 3;
//   else     each input line on stderr as "log: <line>", and "out: <input>" on stdout.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char input[65536];

int main(void) {
    size_t n = fread(input, 1, sizeof input - 1, stdin);
    input[n] = 0;
    if (strncmp(input, "big ", 4) == 0) {
        long total = atol(input + 4);
        char line[100];
        memset(line, 'x', sizeof line - 1);
        line[sizeof line - 1] = '\n';
        for (long written = 0; written < total; written += sizeof line) {
            fwrite(line, 1, sizeof line, stderr);
        }
        printf("big done\n");
        return 0;
    }

    if (strcmp(input, "fail") == 0) {
        fprintf(stderr, "about to fail\n");
        return 3;
    }

    printf("out: %s\n", input);
    char *save = NULL;
    for (char *line = strtok_r(input, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        fprintf(stderr, "log: %s\n", line);
    }

    return 0;
}
