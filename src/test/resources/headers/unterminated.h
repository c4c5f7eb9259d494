int fine(void);
/* this comment never ends
int hidden(void);
