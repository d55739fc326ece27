import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { ToastProvider } from './components/Toasts.js';
import { RouterProvider } from './lib/router.js';
import { SessionProvider } from './lib/session.js';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <RouterProvider>
      <SessionProvider>
        <ToastProvider>
          <App />
        </ToastProvider>
      </SessionProvider>
    </RouterProvider>
  </StrictMode>,
);
