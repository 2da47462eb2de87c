// Planted: a folder no layer claims.
int orphan() { return 0; }
