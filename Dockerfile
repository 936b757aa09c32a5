# The lstm_viz page in one container: docker build -t lstm_viz . && docker run -p 8501:8501 lstm_viz
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
# torch==2.13.0 as a CPU build (PyTorch's CPU wheel index); the rest from PyPI
RUN pip install --no-cache-dir --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt
COPY app.py .
COPY lstm_viz lstm_viz
COPY assets assets
COPY .streamlit .streamlit
RUN useradd --create-home viewer
USER viewer
EXPOSE 8501
# healthy once the server answers and the page has run (the first check runs it: the slow first run is no visitor's)
HEALTHCHECK --start-period=60s --timeout=30s CMD ["python", "lstm_viz/page/warm.py", "http://127.0.0.1:8501"]
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
