# shellcheck shell=bash
# Bash completion for ie-podman and ie-virsh, installed by the ie_program
# role under each command's name in /usr/share/bash-completion/completions/.
# It also works behind sudo (`sudo ie-podman exec <TAB>`), as bash-completion
# completes sudo's command. Names come from the wrapper itself, through
# sudo without a password prompt (`sudo -n CMD __complete KIND`): the wrapper
# lists the caller's own containers, images, VMs and templates, and nobody
# else's.

_ie_names() {  # COMMAND KIND
    sudo -n "$1" __complete "$2" 2>/dev/null
}

_ie_reply() {  # WORDS CURRENT (names never hold spaces: the wrappers refuse them)
    mapfile -t COMPREPLY < <(compgen -W "$1" -- "$2")
}

# The verb (first word that is not an option) and how many words follow it.
_ie_verb() {
    local i
    _ie_verb_name="" _ie_verb_at=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
            -*) ;;
            *) _ie_verb_name=${COMP_WORDS[i]} _ie_verb_at=$i; return ;;
        esac
    done
}

_ie_podman() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    _ie_verb
    if [[ -z $_ie_verb_name ]]; then
        _ie_reply "build cp exec images info logs ps pull registry rm rmi run sif start stop version" "$cur"
        return
    fi
    [[ $cur == -* ]] && return
    case $_ie_verb_name in
        exec | stop) _ie_reply "$(_ie_names ie-podman running)" "$cur" ;;
        logs | info | rm | start) _ie_reply "$(_ie_names ie-podman containers)" "$cur" ;;
        rmi | sif) _ie_reply "$(_ie_names ie-podman images)" "$cur" ;;
        run)
            # the image is the first word after the options (and their values)
            case $prev in
                --name | -e | --env | -l | --label | -w | --workdir | --entrypoint | -u | --user | \
                    -h | --hostname | -m | --memory | --cpus | -v | --volume | --pull) return ;;
            esac
            _ie_reply "$(_ie_names ie-podman images)" "$cur" ;;
        registry)
            # push|share|unshare IMAGE [USER]: the caller's images, then
            # nothing (the directory's students are not listed)
            if ((COMP_CWORD == _ie_verb_at + 1)); then
                _ie_reply "push search share unshare" "$cur"
            elif ((COMP_CWORD == _ie_verb_at + 2)); then
                _ie_reply "$(_ie_names ie-podman images)" "$cur"
            fi ;;
        cp)
            # NAME:PATH on either side, or a local file
            _ie_reply "$(_ie_names ie-podman containers | sed 's/$/:/')" "$cur"
            compopt -o nospace 2>/dev/null
            mapfile -t -O "${#COMPREPLY[@]}" COMPREPLY < <(compgen -f -- "$cur") ;;
        build) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    esac
}

_ie_virsh() {
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    _ie_verb
    if [[ -z $_ie_verb_name ]]; then
        _ie_reply "console define destroy domiflist dumpxml edit gdb list start templates undefine" "$cur"
        return
    fi
    if [[ $prev == --template ]]; then
        _ie_reply "$(_ie_names ie-virsh templates)" "$cur"
        return
    fi
    [[ $cur == -* ]] && return
    case $_ie_verb_name in
        destroy | console | gdb) _ie_reply "$(_ie_names ie-virsh running)" "$cur" ;;
        start | undefine | dumpxml | edit | domiflist) _ie_reply "$(_ie_names ie-virsh vms)" "$cur" ;;
    esac
}

complete -F _ie_podman ie-podman
complete -F _ie_virsh ie-virsh
