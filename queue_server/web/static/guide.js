/* A procedure's guide page: the print button prints the checklist. */
"use strict";
document.getElementById("print").addEventListener("click", () => window.print());
