from edge_assistant.cli import main

main()
