// ps: lists processes by reading /proc, the kernel's view of its
// processes, locally or on other computers through /net/<c>/proc.
// Each /proc/<pid> directory's files are printed as "name: content".
// usage: ps [-a] [dir...]  (default /proc; -a: every computer's /proc)
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dosemulib.h"

// Print a small file's content on one line, newlines shown as "; ".
static void
show(const char *path, const char *label)
{
  char buf[512];
  FILE *f = fopen(path, "r");
  if (f == 0)
    return;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  while (n > 0 && buf[n - 1] == '\n')
    buf[--n] = 0;
  for (size_t i = 0; i < n; i++)
    if (buf[i] == '\n')
      buf[i] = ';';
  printf("    %s: %s\n", label, buf);
}

static int
isnum(const char *s)
{
  if (*s == 0)
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

static int
cmpname(const void *a, const void *b)
{
  return atoi(*(char **)a) - atoi(*(char **)b);
}

static int
list(const char *proc)
{
  DIR *d = opendir(proc);
  if (d == 0) {
    fprintf(stderr, "ps: %s: %s\n", proc, strerror(errno));
    return 1;
  }
  char *pids[1024];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != 0 && n < 1024)
    if (isnum(e->d_name))
      pids[n++] = strdup(e->d_name);
  closedir(d);
  qsort(pids, n, sizeof pids[0], cmpname);
  printf("%s: %d processes\n", proc, n);
  for (int i = 0; i < n; i++) {
    char dir[512], path[768];
    snprintf(dir, sizeof dir, "%s/%s", proc, pids[i]);
    printf("  pid %s\n", pids[i]);
    DIR *pd = opendir(dir);
    if (pd == 0) {
      // It may have exited between the listing and now.
      printf("    (gone: %s)\n", strerror(errno));
      free(pids[i]);
      continue;
    }
    while ((e = readdir(pd)) != 0) {
      if (e->d_name[0] == '.' || e->d_type == DT_DIR)
        continue;
      snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
      show(path, e->d_name);
    }
    closedir(pd);
    free(pids[i]);
  }
  return 0;
}

int
main(int argc, char *argv[])
{
  int rc = 0, all = 0, i = 1;
  if (argc > 1 && strcmp(argv[1], "-a") == 0) {
    all = 1;
    i++;
  }
  if (all) {
    int32_t count, mine;
    int e = dosemu_computers(&count, &mine);
    if (e != 0) {
      fprintf(stderr, "ps: dosemu_computers: %s\n", strerror(e));
      return 1;
    }
    for (int c = 0; c < count; c++) {
      char name[64], path[96];
      size_t len = 0;
      if (dosemu_computer_name(c, name, sizeof name - 1, &len) != 0 || len >= sizeof name)
        snprintf(name, sizeof name, "c%d", c);
      else
        name[len] = 0;
      snprintf(path, sizeof path, "/net/%s/proc", name);
      rc |= list(path);
    }
  }
  if (i == argc && !all)
    return list("/proc");
  for (; i < argc; i++)
    rc |= list(argv[i]);
  return rc;
}
