"""The running installation: the system check and the probes each piece of work needs
(`doctor`), and the job queue and its worker (`jobs`)."""
