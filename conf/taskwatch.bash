# bash completion for taskwatch(1): commands, their options, and task ids from the configuration.

# The task ids the configuration lists (main file and PATH.d/*.conf), for get/wait/remove.
_taskwatch_config_tasks() {
        local config=$1 f
        [[ -n $config ]] || config=/etc/taskwatchd/taskwatchd.conf
        for f in "$config" "$config".d/*.conf; do
                [[ -r $f ]] || continue
                sed -n -e '/^[[:space:]]*\[/{s/^[[:space:]]*\[[[:space:]]*\([^]]*[^][:space:]]\)[[:space:]]*\].*/\1/;h;d}' \
                       -e 'x;/^Tasks$/!{x;d};x' \
                       -e 's/^[[:space:]]*Task[[:space:]]*=//p' "$f" 2>/dev/null
        done | tr -s ' \t' '\n\n' | sort -u
}

# File names through bash-completion's _filedir when it is there, plain compgen otherwise.
_taskwatch_files() {
        if declare -F _filedir >/dev/null; then
                _filedir "$@"
        elif [[ $1 == -d ]]; then
                COMPREPLY=($(compgen -d -- "$cur"))
        else
                COMPREPLY=($(compgen -f -- "$cur"))
        fi
}

_taskwatch() {
        local cur prev i word command= config=
        local -A opts=(
                [global]='--config --instance --no-color --help --version'
                [get]='--output --json --json-lines --config --instance --no-color --help'
                [wait]='--all --timeout --interval --max-interval --config --instance --no-color --help'
                [add]='--no-reload --config --instance --no-color --help'
                [remove]='--no-reload --config --instance --no-color --help'
                [status]='--json --state-dir --config --instance --no-color --help'
                [help]=''
        )
        local commands='get wait add remove status help'
        local -a words
        local cword
        if declare -F _init_completion >/dev/null; then
                _init_completion -n = || return
        else
                words=("${COMP_WORDS[@]}")
                cword=$COMP_CWORD
                cur=${COMP_WORDS[COMP_CWORD]}
                prev=${COMP_WORDS[COMP_CWORD - 1]}
        fi

        # The command is the first word that is not a global option or its argument.
        for ((i = 1; i < cword; i++)); do
                word=${words[i]}
                case $word in
                -c | --config) config=${words[i + 1]}; ((i++)) ;;
                --config=*) config=${word#--config=} ;;
                --instance) ((i++)) ;;
                -*) ;;
                *) command=$word; break ;;
                esac
        done

        case $prev in
        -c | --config)
                _taskwatch_files conf
                return ;;
        --state-dir)
                _taskwatch_files -d
                return ;;
        --instance)
                # The instances configured here: /etc/taskwatchd/NAME.conf, but the main file.
                local f names=()
                for f in /etc/taskwatchd/*.conf; do
                        [[ -e $f ]] || continue
                        f=${f##*/}
                        [[ $f == taskwatchd.conf ]] || names+=("${f%.conf}")
                done
                COMPREPLY=($(compgen -W "${names[*]}" -- "$cur"))
                return ;;
        -o | --output)
                COMPREPLY=($(compgen -W 'wide' -- "$cur"))
                return ;;
        --timeout | --interval | --max-interval)
                COMPREPLY=($(compgen -W '30s 1min 5min 15min 30min 1h' -- "$cur"))
                return ;;
        esac
        if [[ $cur == --config=* ]]; then
                cur=${cur#--config=}
                _taskwatch_files conf
                return
        fi

        if [[ -z $command ]]; then
                if [[ $cur == -* ]]; then
                        COMPREPLY=($(compgen -W "${opts[global]}" -- "$cur"))
                else
                        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
                fi
                return
        fi

        if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "${opts[$command]-}" -- "$cur"))
                [[ ${COMPREPLY-} == *= ]] && compopt -o nospace
                return
        fi
        case $command in
        get | wait | remove)
                COMPREPLY=($(compgen -W "$(_taskwatch_config_tasks "$config")" -- "$cur")) ;;
        help)
                COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
        esac
}
complete -F _taskwatch taskwatch
