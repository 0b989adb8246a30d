import './ui/pg-app.ts';
