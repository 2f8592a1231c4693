"""Use cases, grouped by domain. A service takes the settings when that is all it needs, else the server's
runtime; it returns data or raises an error that carries a FATE retcode (entity.errors).

  jobs/       submitting, creating and running jobs on a party: plans, status records, tasks, worker reports
  models/     the pipelined models: record, deploy, export/import, store, migrate, publish to servings, tags
  tracking/   what tasks record (metrics, output tables, summaries) and the tracking API's views of it
  data/       upload and download, table metas, tables registered from existing data
  files/      which server-side files a client may name, opened without following links; streamed archives
  partners/   what other parties' servers may send: the command boundary, the commands, permissions
  server/     the server's own state: start-up recovery, disk space, warnings about its conf
"""
